"""Repair guidance (修复指引): which of an enterprise's current facts, if repaired or removed
through a lawful route, would lower its score and class, and to what — computed, never
guessed.

A fact is one of the enterprise's records that still counts against it at the date and that
the law provides a way out of:

- credit repair (信用修复) of an administrative penalty not yet repaired;
- removal from a list (移出) — the abnormal-operation list, the serious illegal and dishonest
  list, the dishonest-debtor list, joint punishment — of an entry still on it (for the
  repairable lists, removal is the repair, so both dates are set);
- keeping a credit commitment (履行信用承诺) still pending.

For each fact (the most recent first, up to a limit) and for all of them together, the
enterprise's records are amended as that route would leave them on the date (the repair or
removal dated that day, the commitment kept), its features are computed again from them with
its related parties as they are, and the rows are scored and judged by the same model and rules
through `score_feature_rows`. Nothing here says whether a route is open to the enterprise
today (waiting periods, conditions): the bureau decides that; this says what it would change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from features.coverage import DateOutsideData
from features.enterprise_features import EnterpriseFeatures
from features.reference.record_types import BY_CODE, REPAIRABLE_TYPES
from models.levels import LEVELS
from models.policy.profiles import Profile
from models.registry import LoadedModel
from serving.use_cases.arguments import normal_uscc
from serving.use_cases.errors import InvalidRequest, NotFound
from serving.use_cases.scope import Scope
from serving.use_cases.score import EnterpriseScore, score_feature_rows

ROUTES = {
    "credit_repair": ("信用修复", "credit repair"),
    "list_removal": ("移出名单", "removal from the list"),
    "commitment_kept": ("履行信用承诺", "commitment kept"),
}
MAX_FACTS = 100


@dataclass(frozen=True)
class Fact:
    """A record that counts against the enterprise and has a lawful way out."""

    position: int
    """Its place among the enterprise's records as the reader holds them."""
    record_type: str
    type_zh: str
    type_en: str
    occurred_on: dt.date
    severity: int | None
    amount: float | None
    route: str
    """``credit_repair``, ``list_removal`` or ``commitment_kept``."""

    @property
    def route_zh(self) -> str:
        return ROUTES[self.route][0]

    @property
    def route_en(self) -> str:
        return ROUTES[self.route][1]


@dataclass(frozen=True)
class RepairOption:
    """What the enterprise would score if ``facts`` took their routes."""

    facts: tuple[Fact, ...]
    final_score: float
    risk_level: str
    class_label: str
    colour: str
    change: float
    """Points against the current final score (negative: lower risk)."""
    lowers_class: bool


@dataclass(frozen=True)
class RepairGuidance:
    uscc: str
    as_of: dt.date
    current: EnterpriseScore
    """The enterprise as it stands, scored the same way (its published score at ``as_of``)."""
    options: tuple[RepairOption, ...]
    """Each fact on its own that would lower the score, lowest resulting score first, then
    all the facts together (when more than one), whatever that does."""
    facts: tuple[Fact, ...]
    """Every fact found, most recent first."""
    considered: int
    """Facts re-scored one by one (the most recent ``limit``); all of them are in the
    together option."""
    model_version: str
    rules_version: str


def current_facts(records: pa.Table, as_of: dt.date) -> list[Fact]:
    """The facts of ``records`` (one enterprise's, as `EnterpriseFeatures.records_of` gives
    them) at ``as_of``, most recent first: records the platform held at the date, not revoked,
    and still standing on their route (not yet repaired, removed or kept)."""
    found = []
    for position, row in enumerate(records.to_pylist()):
        if not _visible(row, as_of):
            continue
        route = _route(row, as_of)
        if route is None:
            continue
        kind = BY_CODE[row["record_type"]]
        found.append(Fact(position, kind.code, kind.zh, kind.en, row["occurred_on"],
                          row["severity"], _amount(row["amount"]), route))
    found.sort(key=lambda fact: (fact.occurred_on, fact.position), reverse=True)
    return found


def amended(records: pa.Table, facts: tuple[Fact, ...], as_of: dt.date) -> pa.Table:
    """``records`` as ``facts`` taking their routes on ``as_of`` would leave them."""
    rows = records.to_pylist()
    for fact in facts:
        row = rows[fact.position]
        if fact.route == "commitment_kept":
            row["outcome"] = "kept"
        else:
            if fact.route == "list_removal":
                row["removed_on"] = as_of
            if row["record_type"] in REPAIRABLE_TYPES:
                row["repaired_on"] = as_of
    return pa.Table.from_pylist(rows, schema=records.schema)


def repair_guidance(
    features: EnterpriseFeatures, model: LoadedModel, profile: Profile, uscc: str,
    as_of: dt.date, scope: Scope, limit: int = 12,
) -> RepairGuidance:
    """The repair guidance of ``uscc`` at ``as_of`` under ``model`` (the version that
    published the period, for guidance beside its published result) and ``profile``;
    `NotFound` for an enterprise outside ``scope`` as for one the store does not hold."""
    uscc = normal_uscc(uscc)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_FACTS:
        raise InvalidRequest(f"limit: expected a whole number from 1 to {MAX_FACTS}, "
                             f"found {limit!r}")
    region = features.region_codes([uscc]).get(uscc)
    if region is None or not scope.covers(region):
        raise NotFound(f"{uscc}: no enterprise with this code in the store")
    try:
        now = features.compute([uscc], as_of, option="as_of")
    except DateOutsideData as error:
        raise InvalidRequest(str(error)) from None
    if now.table.num_rows == 0:
        raise NotFound(f"{uscc}: no enterprise with this code was alive on {as_of}")
    records = features.records_of(uscc)
    facts = current_facts(records, as_of)
    variants = [(fact,) for fact in facts[:limit]]
    if len(facts) > 1:
        variants.append(tuple(facts))
    tables = [now.table] + [
        features.compute_amended(uscc, as_of, lambda own, chosen=chosen: amended(
            own, chosen, as_of)).table for chosen in variants]
    scored = score_feature_rows(model, pa.concat_tables(tables), profile, explain=False,
                                as_of=as_of)
    current, rest = scored[0], scored[1:]
    level = LEVELS.index(current.risk_level)
    options = [RepairOption(chosen, s.final_score, s.risk_level, s.class_label, s.colour,
                            round(s.final_score - current.final_score, 6),
                            LEVELS.index(s.risk_level) < level)
               for chosen, s in zip(variants, rest, strict=True)]
    single = sorted((o for o in options if len(o.facts) == 1 and o.change < 0),
                    key=lambda o: (o.final_score, -o.facts[0].occurred_on.toordinal()))
    together = [o for o in options if len(o.facts) > 1]
    return RepairGuidance(uscc, as_of, current, tuple(single + together), tuple(facts),
                          min(limit, len(facts)), model.version, model.rules_version)


def _visible(row: dict, as_of: dt.date) -> bool:
    revoked = row["revoked_on"]
    return (row["occurred_on"] <= as_of and row["collected_on"] <= as_of
            and (revoked is None or revoked > as_of))


def _standing(date: dt.date | None, as_of: dt.date) -> bool:
    return date is None or date > as_of


def _route(row: dict, as_of: dt.date) -> str | None:
    kind = BY_CODE.get(row["record_type"])
    if kind is None:
        return None
    if kind.is_list:
        return "list_removal" if (_standing(row["removed_on"], as_of)
                                  and _standing(row["repaired_on"], as_of)) else None
    if kind.repairable:
        return "credit_repair" if _standing(row["repaired_on"], as_of) else None
    if kind.code == "credit_commitment" and row["outcome"] == "pending":
        return "commitment_kept"
    return None


def _amount(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


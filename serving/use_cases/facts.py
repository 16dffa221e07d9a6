"""An enterprise's registration facts and its recent records, from the store version the
service holds, limited to the caller's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from features.enterprise_directory import EnterpriseDirectory
from features.enterprise_features import EnterpriseFeatures
from features.reference.record_types import BY_CODE
from models.explain.explanation import Explanation
from models.registry import LoadedModel
from serving.use_cases.arguments import normal_uscc
from serving.use_cases.errors import InvalidRequest, NotFound
from serving.use_cases.scope import Scope

MAX_RECORDS = 200


@dataclass(frozen=True)
class RecordLine:
    """One record about the enterprise, as collected (归集)."""

    record_type: str
    type_zh: str
    type_en: str
    occurred_on: dt.date
    collected_on: dt.date
    severity: int | None
    amount: float | None
    outcome: str | None
    removed_on: dt.date | None
    repaired_on: dt.date | None
    revoked_on: dt.date | None


@dataclass(frozen=True)
class EnterpriseFacts:
    uscc: str
    name: str
    region_code: str
    industry_code: str
    enterprise_type: str
    established_on: dt.date
    age_years: float
    """Whole and partial years from establishment to ``as_of``."""
    registered_capital: float | None
    domain_tags: tuple[str, ...]
    as_of: dt.date
    records: tuple[RecordLine, ...]
    """The most recent records known at ``as_of`` (by date, newest first), at most the
    ``records`` asked for."""
    records_known: int
    """Every record known at ``as_of``."""
    inspections: tuple[dt.date, ...]
    """Dates of its spot checks (抽查检查 records) known at ``as_of``, oldest first."""


def enterprise_facts(features: EnterpriseFeatures, directory: EnterpriseDirectory, uscc: str,
                     as_of: dt.date, scope: Scope, records: int = 20) -> EnterpriseFacts:
    """The enterprise's registration (name from ``directory``, the rest from ``features``,
    both of one store version) and its ``records`` most recent records at ``as_of``;
    `NotFound` outside ``scope`` as for an unknown code."""
    uscc = normal_uscc(uscc)
    if isinstance(records, bool) or not isinstance(records, int) or not (
            0 <= records <= MAX_RECORDS):
        raise InvalidRequest(f"records: expected a whole number from 0 to {MAX_RECORDS}, "
                             f"found {records!r}")
    row = features.enterprise(uscc)
    if row is None or not scope.covers(row["region_code"]):
        raise NotFound(f"{uscc}: no enterprise with this code in the store")
    found = [entry for entry in directory.find(uscc, row["region_code"], 1)
             if entry.uscc == uscc]
    known = [r for r in features.records_of(uscc).to_pylist()
             if r["occurred_on"] <= as_of and r["collected_on"] <= as_of]
    known.sort(key=lambda r: (r["occurred_on"], r["collected_on"]), reverse=True)
    lines = tuple(_line(r) for r in known[:records])
    inspections = sorted(r["occurred_on"] for r in known if r["record_type"] == "spot_check")
    established = row["established_on"]
    capital = row["registered_capital"]
    return EnterpriseFacts(
        uscc=uscc, name=found[0].name if found else "", region_code=row["region_code"],
        industry_code=row["industry_code"], enterprise_type=row["enterprise_type"],
        established_on=established, age_years=round((as_of - established).days / 365.25, 1),
        registered_capital=None if capital is None else float(capital),
        domain_tags=tuple(row["domain_tags"] or ()), as_of=as_of, records=lines,
        records_known=len(known), inspections=tuple(inspections))


def _line(row: dict) -> RecordLine:
    kind = BY_CODE.get(row["record_type"])
    amount = row["amount"]
    return RecordLine(
        record_type=row["record_type"], type_zh=kind.zh if kind else row["record_type"],
        type_en=kind.en if kind else row["record_type"], occurred_on=row["occurred_on"],
        collected_on=row["collected_on"], severity=row["severity"],
        amount=None if amount is None else float(amount), outcome=row["outcome"],
        removed_on=row["removed_on"], repaired_on=row["repaired_on"],
        revoked_on=row["revoked_on"])


def rule_bases(model: LoadedModel, explanation: Explanation) -> dict[str, str]:
    """The legal or policy basis of each rule line of ``explanation`` in ``model``'s rules
    (the fusion line has none)."""
    rules = model.model.rules
    found = {}
    for line in explanation.rules:
        if line.kind == "rule":
            basis = rules.rule(line.key).basis
            if basis:
                found[line.key] = basis
    return found

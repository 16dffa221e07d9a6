"""双随机、一公开 draws over a published period: create, read, list, cancel.

`create_draw` freezes the task's population (its sha256), decides the counts per class (the
profile's ratios or given ones, or a budget), draws by the hash ranking
(`serving.sampling.selection`), staffs every target (`serving.sampling.staffing`) and stores
the whole draw with its record in one transaction. The record holds everything needed to
recompute it: parameters, seed and its source, catalogue, roster, store, model, rules and data
versions, author and time. Draws are append-only; `cancel_draw` appends a reason and author.
How a draw is recomputed without this software: docs/draws.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from features.contract import ENTERPRISE_TYPES
from features.reference.industries import SECTIONS, divisions
from features.reference.record_types import DOMAINS
from features.reference.uscc import is_valid
from features.store import Store
from models.policy.profiles import Profile
from serving.results.draws import (
    AssignmentRow,
    Cancellation,
    DrawBook,
    DrawRow,
    ExclusionRow,
    PopulationRow,
    TargetRow,
)
from serving.results.rows import RunInfo
from serving.results.store import ResultsStore
from serving.sampling.catalogue import Catalogue
from serving.sampling.selection import (
    CLASSES,
    MODES,
    Member,
    Pick,
    ShortBudget,
    budget_counts,
    population_sha256,
    ratio_counts,
    select,
)
from serving.sampling.staffing import Rules, Staffing, Unstaffable, assign
from serving.use_cases import draw_population as sources
from serving.use_cases.arguments import normal_uscc
from serving.use_cases.errors import InvalidRequest, NotFound
from serving.use_cases.scope import WHOLE_PROVINCE, Scope, region_prefix

RECORD_FORMAT = "ecr-draw/2"
"""Version 2: 回避 reads the store's inspections (their inspector ids) besides the draws'
own assignments; version 1 (earlier draws) read the assignments only, and `verify_draw`
recomputes each as it was made."""
SEED_SOURCE_SECURE = "secrets.token_hex(32)"
MAX_SEED = 200
MAX_FORCED = 10_000
_SEED = re.compile(r"^[^|\x00-\x1f]{1,200}$")


class Conflict(ValueError):
    """The request cannot be served in the current state (e.g. the period is not published);
    the HTTP face answers 409."""


class StaffingFailed(InvalidRequest):
    """No valid inspector assignment exists; ``targets`` names those that cannot be staffed."""

    def __init__(self, error: Unstaffable) -> None:
        self.targets = error.targets
        self.reasons = error.reasons
        super().__init__(f"staffing: {error}")


@dataclass(frozen=True)
class DrawRequest:
    """What to draw; every field is recorded with the draw."""

    period: dt.date
    task: str
    seed: str | None = None
    """A value committed beforehand (e.g. a published lottery number); None: a secure
    random seed is drawn and recorded."""
    seed_source: str | None = None
    """Where a given seed comes from (e.g. '中国福利彩票 2026001期开奖号码')."""
    ratios: Mapping[str, Fraction] | None = None
    """Percent per class; None: the profile's draw ratios."""
    budget: int | None = None
    mode: str = "combined"
    batches: int = 1
    filters: sources.Filters = field(default_factory=sources.Filters)
    forced: Mapping[str, str] = field(default_factory=dict)
    """USCC → reason (重点监管 / 触发式), drawn apart from the random part."""
    recent_months: int = 6
    per_target: int = 2
    workload_cap: int = 20
    avoid_months: int = 12
    drawn_on: dt.date | None = None
    """The draw's date (windows are counted back from it); None: today (UTC)."""


@dataclass(frozen=True)
class Target:
    uscc: str
    risk_level: str
    region_code: str
    part: str
    reason: str | None
    batch: str
    position: int
    rank_sha256: str
    items: tuple[str, ...]
    inspectors: tuple[AssignmentRow, ...] = ()


@dataclass(frozen=True)
class DrawView:
    """A stored draw: its record, cancellation, targets (with inspectors) and exclusions."""

    draw: DrawRow
    record: dict[str, Any]
    cancellation: Cancellation | None
    targets: tuple[Target, ...]
    exclusions: tuple[ExclusionRow, ...] = ()

    @property
    def draw_id(self) -> str:
        return self.draw.draw_id

    @property
    def status(self) -> str:
        return "cancelled" if self.cancellation else "active"

    def counts(self, part: str = "random") -> dict[str, int]:
        found = Counter(t.risk_level for t in self.targets if t.part == part)
        return {c: found.get(c, 0) for c in CLASSES}


def canonical(record: Mapping[str, Any]) -> str:
    """The record as canonical JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def draw_id_of(period: dt.date, record_sha256: str) -> str:
    return f"DRW-{period:%Y%m%d}-{record_sha256[:12]}"


def _published(results: ResultsStore, period: dt.date) -> RunInfo:
    run = results.published_run(period)
    if run is None:
        raise Conflict(f"period: no classification is published for {period}; a draw needs a "
                       "published period (ecr classify)")
    return run


def _seed(request: DrawRequest) -> tuple[str, str]:
    if request.seed is None:
        if request.seed_source is not None:
            raise InvalidRequest("seed_source: give it with the seed it describes")
        return secrets.token_hex(32), SEED_SOURCE_SECURE
    if not isinstance(request.seed, str) or not _SEED.match(request.seed):
        raise InvalidRequest(f"seed: expected 1 to {MAX_SEED} characters without '|' or "
                             f"control characters, found {request.seed!r}")
    return request.seed, f"given: {request.seed_source or 'a value committed before the draw'}"


def _check(request: DrawRequest, catalogue: Catalogue) -> None:
    if request.mode not in MODES:
        raise InvalidRequest(f"mode: expected one of {', '.join(MODES)}, found "
                             f"{request.mode!r}")
    if not 1 <= request.batches <= 100 or (request.mode != "batched" and request.batches != 1):
        raise InvalidRequest(f"batches: expected 1 to 100 with mode batched (1 otherwise), "
                             f"found {request.batches}")
    if request.budget is not None and request.budget < 1:
        raise InvalidRequest(f"budget: expected ≥ 1 inspections, found {request.budget}")
    for name in ("recent_months", "avoid_months"):
        if not 0 <= getattr(request, name) <= 120:
            raise InvalidRequest(f"{name}: expected 0 to 120 months, found "
                                 f"{getattr(request, name)}")
    if not 1 <= request.per_target <= 10:
        raise InvalidRequest(f"per_target: expected 1 to 10 inspectors, found "
                             f"{request.per_target}")
    if not 1 <= request.workload_cap <= 10_000:
        raise InvalidRequest(f"workload_cap: expected 1 to 10,000 targets, found "
                             f"{request.workload_cap}")
    if request.ratios is not None:
        wrong = [c for c, r in request.ratios.items()
                 if c not in CLASSES or not 0 <= Fraction(r) <= 100]
        if wrong:
            raise InvalidRequest(f"ratios: expected percentages from 0 to 100 for classes "
                                 f"A–D, found {dict(request.ratios)}")
    try:
        catalogue.task(request.task)
    except KeyError as error:
        raise InvalidRequest(error.args[0]) from None
    _check_filters(request.filters)
    if len(request.forced) > MAX_FORCED:
        raise InvalidRequest(f"forced: expected at most {MAX_FORCED:,} enterprises")
    for uscc, reason in request.forced.items():
        if not is_valid(normal_uscc(uscc)):
            raise InvalidRequest(f"forced: expected GB 32100 codes, found {uscc!r}")
        if not isinstance(reason, str) or not 1 <= len(reason) <= 200:
            raise InvalidRequest(f"forced[{uscc}]: expected a reason of 1 to 200 characters")


def _check_filters(filters: sources.Filters) -> None:
    """Each filter value must be one the data contract knows (else the population would be
    silently empty)."""
    known = {"sections": {s.letter for s in SECTIONS}, "enterprise_types": set(ENTERPRISE_TYPES),
             "domain_tags": set(DOMAINS)}
    for name, allowed in known.items():
        wrong = [v for v in getattr(filters, name) if v not in allowed]
        if wrong:
            raise InvalidRequest(f"{name}: expected values from {', '.join(sorted(allowed))}, "
                                 f"found {wrong}")
    wrong = [v for v in filters.divisions
             if not re.fullmatch(r"[A-T][0-9]{2}", v) or v[1:] not in divisions(v[0])]
    if wrong:
        raise InvalidRequest(f"divisions: expected GB/T 4754 divisions such as H62, found "
                             f"{wrong}")


def _ratios(request: DrawRequest, profile: Profile) -> tuple[dict[str, Fraction], str]:
    if request.ratios is not None:
        return ({c: Fraction(request.ratios.get(c, 0)) for c in CLASSES}, "given")
    return ({c: Fraction(str(r)) for c, r in zip(CLASSES, profile.draw_ratios, strict=True)},
            f"profile {profile.key}")


def _fraction_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else (
        f"{value.numerator}/{value.denominator}")


def decide_counts(sizes: Mapping[str, int], ratios: Mapping[str, Fraction],
                  budget: int | None) -> dict[str, int]:
    """Per-class counts of the random part: ⌈ratio × N⌉, or the budget's allocation."""
    if budget is None:
        return ratio_counts(sizes, ratios)
    try:
        return budget_counts(sizes, ratios, budget)
    except ShortBudget as error:
        raise InvalidRequest(str(error)) from None
    except ValueError as error:
        raise InvalidRequest(str(error)) from None


def create_draw(results: ResultsStore, store: Store, profile: Profile, catalogue: Catalogue,
                request: DrawRequest, *, author: str, scope: Scope = WHOLE_PROVINCE,
                now: dt.datetime | None = None) -> DrawView:
    """Draw, staff and store one campaign; its view. `Conflict` for an unpublished period,
    `InvalidRequest` naming the parameter at fault, `StaffingFailed` naming the targets the
    roster cannot staff."""
    now = now or dt.datetime.now(dt.UTC)
    _check(request, catalogue)
    run = _published(results, request.period)
    task = catalogue.task(request.task)
    seed, seed_source = _seed(request)
    drawn_on = request.drawn_on or now.date()
    region = _narrowed(scope, request.filters.region)
    filters = sources.Filters(region, *(tuple(sorted(set(v))) for v in (
        request.filters.sections, request.filters.divisions,
        request.filters.enterprise_types, request.filters.domain_tags)))
    pinned = store.pinned()
    members, found = sources.population(results, pinned, run.run_id, request.period,
                                        catalogue, task, filters, Scope(region), drawn_on,
                                        request.recent_months, now)
    forced = {normal_uscc(u): r for u, r in request.forced.items()}
    known = {m.uscc for m in members}
    outside = sorted(set(forced) - known)
    if outside:
        raise InvalidRequest(f"forced: {len(outside)} enterprises are not in the task's "
                             f"population (published for {request.period}, in scope, "
                             f"filtered, with an applicable item): {', '.join(outside[:10])}")
    sizes = dict(Counter(m.risk_level for m in members))
    sizes = {c: sizes.get(c, 0) for c in CLASSES}
    ratios, ratio_source = _ratios(request, profile)
    counts = decide_counts(sizes, ratios, request.budget)
    picks = select(members, seed, task.code, counts, forced, request.mode, request.batches)
    if not picks:
        raise InvalidRequest(f"the draw is empty: the task {task.code} has "
                             f"{len(members)} enterprises in its population and the ratios "
                             f"draw none")
    rules = Rules(request.per_target, request.workload_cap, task.joint)
    rota = sources.roster(pinned)
    recent_pairs = sources.avoided_pairs(results, pinned, drawn_on, request.avoid_months, now)
    staffing = _staff(picks, found, pinned, drawn_on, rota, rules, seed, task.code,
                      recent_pairs)
    record = {
        "format": RECORD_FORMAT, "period": request.period.isoformat(), "run_id": run.run_id,
        "task": task.code, "task_name": task.name.model_dump(), "joint": task.joint,
        "items": {code: catalogue.item(code).name for code in task.items},
        "mode": request.mode, "batches": request.batches,
        "ratios": {c: _fraction_text(r) for c, r in ratios.items()},
        "ratio_source": ratio_source, "budget": request.budget, "class_sizes": sizes,
        "counts": counts, "filters": filters.as_record(), "scope": scope.prefix,
        "forced": dict(sorted(forced.items())), "recent_months": request.recent_months,
        "drawn_on": drawn_on.isoformat(),
        "staffing": {"per_target": rules.per_target, "cap": rules.cap, "joint": rules.joint,
                     "avoid_months": request.avoid_months},
        "seed": seed, "seed_source": seed_source,
        "population": len(members), "population_sha256": population_sha256(members),
        "versions": {"catalogue": catalogue.label, "roster": rota.sha256,
                     "store": pinned.version, "model": run.model_version,
                     "rules": run.rules_version, "profile": run.profile,
                     "data_fingerprint": run.data_fingerprint,
                     "results_store_version": run.store_version},
        "author": author, "created_at": now.isoformat(),
    }
    text = canonical(record)
    digest = hashlib.sha256(text.encode()).hexdigest()
    draw = DrawRow(draw_id_of(request.period, digest), request.period, run.run_id, task.code,
                   request.mode, region, drawn_on, now, author[:80], len(members), len(picks),
                   record["population_sha256"], text, digest)
    by_id = {i.inspector_id: i for i in rota.inspectors}
    DrawBook(results.engine).write(
        draw,
        [PopulationRow(m.uscc, m.risk_level, m.recent, ";".join(m.items)) for m in members],
        [_target_row(p, found) for p in picks],
        [AssignmentRow(uscc, i, by_id[i].unit, by_id[i].department)
         for uscc, ids in sorted(staffing.assignments.items()) for i in ids],
        sorted({ExclusionRow(e.uscc, e.inspector_id, e.reason) for e in staffing.exclusions
                if e.uscc in staffing.assignments},
               key=lambda e: (e.uscc, e.inspector_id, e.reason)))
    return read_draw(results, draw.draw_id, scope)


def _narrowed(scope: Scope, region: str | None) -> str | None:
    narrowed = scope.narrowed(region, "region")
    if narrowed is None:
        raise InvalidRequest(f"region: {region_prefix(region or '')} is outside the key's "
                             f"region {scope.prefix}")
    return narrowed.prefix


def _target_row(pick: Pick, found: Mapping[str, sources.Enterprise]) -> TargetRow:
    return TargetRow(pick.uscc, pick.risk_level, found[pick.uscc].region_code, pick.part,
                     pick.reason, pick.batch, pick.position, pick.rank, ";".join(pick.items))


def _staff(picks: Sequence[Pick], found: Mapping[str, sources.Enterprise], store: Store,
           drawn_on: dt.date, rota: sources.Roster, rules: Rules, seed: str, task: str,
           recent_pairs: frozenset[tuple[str, str]]) -> Staffing:
    wanted = sources.needs([(p.uscc, p.items) for p in picks], dict(found), store, drawn_on)
    try:
        return assign(wanted, rota.inspectors, rules, seed, task, rota.excluded_units,
                      recent_pairs)
    except Unstaffable as error:
        raise StaffingFailed(error) from None


def _visible(draw: DrawRow | None, scope: Scope, draw_id: str) -> DrawRow:
    if draw is None or not (scope.prefix is None or (draw.region or "").startswith(
            scope.prefix)):
        raise NotFound(f"draw_id: no draw {draw_id!r}")
    return draw


def read_draw(results: ResultsStore, draw_id: str, scope: Scope = WHOLE_PROVINCE,
              with_exclusions: bool = True) -> DrawView:
    """A stored draw with its targets, their items and inspectors; `NotFound` for an unknown
    draw or one outside the caller's region (the same answer)."""
    if not isinstance(draw_id, str) or len(draw_id) > 40:
        raise NotFound(f"draw_id: no draw {draw_id!r}")
    book = DrawBook(results.engine)
    draw = _visible(book.get(draw_id), scope, draw_id)
    team: dict[str, list[AssignmentRow]] = {}
    for row in book.assignments(draw_id):
        team.setdefault(row.uscc, []).append(row)
    targets = tuple(
        Target(t.uscc, t.risk_level, t.region_code, t.part, t.reason, t.batch, t.position,
               t.rank_sha256, tuple(t.items.split(";")) if t.items else (),
               tuple(team.get(t.uscc, ())))
        for t in sorted(book.targets(draw_id), key=_target_order))
    return DrawView(draw, draw.parameters, book.cancellation(draw_id), targets,
                    tuple(book.exclusions(draw_id)) if with_exclusions else ())


def _target_order(target: TargetRow) -> tuple:
    return (target.part != "key", CLASSES.index(target.risk_level), target.position)


def list_draws(results: ResultsStore, period: dt.date,
               scope: Scope = WHOLE_PROVINCE) -> list[DrawView]:
    """The period's draws (oldest first) inside the caller's region, without their targets'
    inspectors."""
    book = DrawBook(results.engine)
    found = [d for d in book.of_period(period)
             if scope.prefix is None or (d.region or "").startswith(scope.prefix)]
    cancelled = book.cancellations(d.draw_id for d in found)
    return [DrawView(d, d.parameters, cancelled.get(d.draw_id), ()) for d in found]


def cancel_draw(results: ResultsStore, draw_id: str, reason: str, author: str,
                scope: Scope = WHOLE_PROVINCE, now: dt.datetime | None = None) -> Cancellation:
    """Cancel a draw (it stays stored, marked cancelled); `Conflict` if it already is."""
    if not isinstance(reason, str) or not 1 <= len(reason.strip()) <= 2000:
        raise InvalidRequest("reason: expected 1 to 2,000 characters saying why")
    book = DrawBook(results.engine)
    _visible(book.get(draw_id), scope, draw_id)
    if book.cancellation(draw_id) is not None:
        raise Conflict(f"draw_id: {draw_id} is cancelled already")
    try:
        return book.cancel(draw_id, reason.strip(), author[:80], now or dt.datetime.now(dt.UTC))
    except sa.exc.IntegrityError:
        raise Conflict(f"draw_id: {draw_id} is cancelled already") from None


def published_record(results: ResultsStore, draw_id: str,
                     scope: Scope = WHOLE_PROVINCE) -> tuple[dict[str, Any], list[Member]]:
    """What anyone needs to recompute the selection: the record and the frozen population."""
    book = DrawBook(results.engine)
    draw = _visible(book.get(draw_id), scope, draw_id)
    members = [Member(p.uscc, p.risk_level, p.recent,
                      tuple(p.items.split(";")) if p.items else ())
               for p in book.population(draw_id)]
    return draw.parameters, members

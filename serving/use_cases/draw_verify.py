"""`verify_draw`: recompute a stored draw from its record and report every difference.

Checks, in order: the record's sha256 and the draw id made from it; the frozen population's
sha256; the counts and the selection recomputed from the record and the frozen population
(any added, removed or changed target); the population recomputed from its sources (the
published period and the current store: a store that moved on is named); the inspectors
recomputed from the current roster when its sha256 is the recorded one, 回避 read as the
draw's record format says (format 2: the store's inspections and the earlier draws; format 1:
the earlier draws only).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from fractions import Fraction

from features.store import Store
from serving.results.draws import DrawBook
from serving.results.store import ResultsStore
from serving.sampling.catalogue import Catalogue
from serving.sampling.selection import CLASSES, Member, population_sha256, select
from serving.sampling.staffing import Rules, Unstaffable, assign
from serving.use_cases import draw_population as sources
from serving.use_cases.draws import canonical, decide_counts, draw_id_of
from serving.use_cases.errors import InvalidRequest, NotFound
from serving.use_cases.scope import Scope

SHOWN = 20
"""Differences listed per check (the count says how many there are)."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Verification:
    draw_id: str
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _listed(kind: str, values: list[str]) -> str:
    more = f" and {len(values) - SHOWN} more" if len(values) > SHOWN else ""
    return f"{len(values)} {kind}: {'; '.join(values[:SHOWN])}{more}"


def verify_draw(results: ResultsStore, store: Store, catalogue: Catalogue,
                draw_id: str) -> Verification:
    """Recompute ``draw_id``; every check with what differs."""
    book = DrawBook(results.engine)
    draw = book.get(draw_id)
    if draw is None:
        raise NotFound(f"draw_id: no draw {draw_id!r}")
    checks = []
    digest = hashlib.sha256(draw.record.encode()).hexdigest()
    record = draw.parameters
    intact = (digest == draw.record_sha256 and canonical(record) == draw.record
              and draw_id_of(draw.period, digest) == draw.draw_id)
    checks.append(Check("record", intact, f"sha256 {digest}" if intact else
                        f"the record's sha256 is {digest}, stored {draw.record_sha256}, and "
                        f"the draw id should be {draw_id_of(draw.period, digest)}"))

    members = [Member(p.uscc, p.risk_level, p.recent, tuple(p.items.split(";")))
               for p in book.population(draw_id)]
    frozen = population_sha256(members)
    checks.append(Check("population", frozen == record["population_sha256"]
                        and len(members) == record["population"],
                        f"{len(members)} enterprises, sha256 {frozen} (recorded "
                        f"{record['population']}, {record['population_sha256']})"))

    sizes = {c: sum(m.risk_level == c for m in members) for c in CLASSES}
    ratios = {c: Fraction(v) for c, v in record["ratios"].items()}
    try:
        counts = decide_counts(sizes, ratios, record["budget"])
    except InvalidRequest as error:
        counts = {}
        checks.append(Check("counts", False, str(error)))
    else:
        checks.append(Check("counts", counts == record["counts"],
                            f"recomputed {counts}, recorded {record['counts']}"))
    picks = select(members, record["seed"], record["task"], counts, record["forced"],
                   record["mode"], record["batches"])
    expected = {(p.uscc, p.risk_level, p.part, p.batch, p.position, p.rank, ";".join(p.items))
                for p in picks}
    stored = {(t.uscc, t.risk_level, t.part, t.batch, t.position, t.rank_sha256, t.items)
              for t in book.targets(draw_id)}
    differences = ([f"{t[0]} stored as {t[2]} target (batch {t[3]}, position {t[4]}) but not "
                    "recomputed so" for t in sorted(stored - expected)]
                   + [f"{t[0]} recomputed as {t[2]} target (batch {t[3]}, position {t[4]}) "
                      "but not stored so" for t in sorted(expected - stored)])
    checks.append(Check("targets", not differences, _listed("differences", differences)
                        if differences else f"{len(stored)} targets recomputed identically"))

    then = _version_read(store, record["versions"]["store"])
    checks.append(_sources_check(results, then, catalogue, draw, record, members))
    checks.append(_staffing_check(results, then, draw_id, record, draw.drawn_on,
                                  draw.created_at))
    return Verification(draw_id, tuple(checks))


def _sources_check(results: ResultsStore, store: Store, catalogue: Catalogue, draw, record,
                   members: list[Member]) -> Check:
    if catalogue.label != record["versions"]["catalogue"]:
        return Check("sources", False, f"the items catalogue is {catalogue.label}, the draw "
                                       f"used {record['versions']['catalogue']}")
    pinned = store.pinned()
    task = catalogue.task(record["task"])
    filters = sources.Filters(record["filters"]["region"],
                              *(tuple(record["filters"][k]) for k in (
                                  "sections", "divisions", "enterprise_types", "domain_tags")))
    recomputed, _ = sources.population(results, pinned, draw.run_id, draw.period, catalogue,
                                       task, filters, Scope(draw.region), draw.drawn_on,
                                       record["recent_months"], _aware(draw.created_at))
    now_lines = {m.line() for m in recomputed}
    then_lines = {m.line() for m in members}
    moved = ("" if pinned.version == record["versions"]["store"] else
             f" (the store is at {pinned.version} now, the draw read "
             f"{record['versions']['store']})")
    if now_lines == then_lines:
        return Check("sources", True, f"the population recomputed from the published period "
                                      f"and the store is the frozen one{moved}")
    changed = sorted(line.strip() for line in then_lines ^ now_lines)
    return Check("sources", False, _listed("population rows differ from the sources", changed)
                 + moved)


def _version_read(store: Store, version: str | None) -> Store:
    """The store at the version the draw read, while the store keeps it; else the current."""
    if version and (store.root / version).is_dir():
        return Store(store.root, version)
    return store.pinned()


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _staffing_check(results: ResultsStore, store: Store, draw_id: str, record,
                    drawn_on: dt.date, created_at: dt.datetime) -> Check:
    book = DrawBook(results.engine)
    pinned = store.pinned()
    rota = sources.roster(pinned)
    if rota.sha256 != record["versions"]["roster"]:
        return Check("inspectors", False, f"the roster changed since the draw (sha256 "
                                          f"{rota.sha256}, the draw used "
                                          f"{record['versions']['roster']}): not recomputed")
    targets = book.targets(draw_id)
    found = sources.enterprises(pinned, [t.uscc for t in targets])
    missing = [t.uscc for t in targets if t.uscc not in found]
    if missing:
        return Check("inspectors", False, _listed("targets no longer in the store", missing))
    staffing = record["staffing"]
    wanted = sources.needs([(t.uscc, tuple(t.items.split(";"))) for t in targets], found,
                           pinned, drawn_on)
    recent = sources.avoided_pairs(results, pinned, drawn_on, staffing["avoid_months"],
                                   _aware(created_at),
                                   inspections=record.get("format") != "ecr-draw/1",
                                   draw_id=draw_id)
    try:
        solved = assign(wanted, rota.inspectors,
                        Rules(staffing["per_target"], staffing["cap"], staffing["joint"]),
                        record["seed"], record["task"], rota.excluded_units, recent)
    except Unstaffable as error:
        return Check("inspectors", False, f"recomputing the assignment failed: {error}")
    expected = {(u, i) for u, ids in solved.assignments.items() for i in ids}
    stored = {(a.uscc, a.inspector_id) for a in book.assignments(draw_id)}
    differences = ([f"{u}: {i} stored, not recomputed" for u, i in sorted(stored - expected)]
                   + [f"{u}: {i} recomputed, not stored" for u, i in sorted(expected - stored)])
    return Check("inspectors", not differences, _listed("differences", differences)
                 if differences else f"{len(stored)} assignments recomputed identically")

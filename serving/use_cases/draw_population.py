"""A draw's population and roster, from a published period and one store version.

The population of a task is every enterprise of the published period that is in the caller's
scope, passes the filters (region prefix, industry sections or divisions, enterprise types,
domain tags: each filter any of its values) and has at least one applicable item of the task
(items may ask for a licence type: `licences_held` at the period); each member carries its
class, its applicable items and whether it was inspected (the store's ``inspections``) or drawn
(an earlier draw, not cancelled) within the window. `inspected_pairs` gives the (inspector,
enterprise) pairs of the store's inspections within the avoidance window (回避).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import duckdb
from dateutil.relativedelta import relativedelta

from features.reference.licences import BY_CODE as LICENCE_TYPES
from features.reference.licences import HOLDING_OUTCOMES, LICENCE_RECORD_TYPES
from features.store import Store
from serving.results.draws import DrawBook
from serving.results.store import ResultsStore
from serving.sampling.catalogue import Catalogue, EnterpriseFacts, Task
from serving.sampling.selection import Member
from serving.sampling.staffing import Inspector, Need
from serving.use_cases.scope import Scope


@dataclass(frozen=True)
class Filters:
    region: str | None = None
    sections: tuple[str, ...] = ()
    divisions: tuple[str, ...] = ()
    enterprise_types: tuple[str, ...] = ()
    domain_tags: tuple[str, ...] = ()

    def as_record(self) -> dict[str, object]:
        return {"region": self.region, "sections": list(self.sections),
                "divisions": list(self.divisions),
                "enterprise_types": list(self.enterprise_types),
                "domain_tags": list(self.domain_tags)}


@dataclass(frozen=True)
class Enterprise:
    uscc: str
    region_code: str
    facts: EnterpriseFacts


def query(sql: str, parameters: dict | None = None) -> list[tuple]:
    with duckdb.connect() as connection:
        return connection.execute(sql, parameters or {}).fetchall()


def enterprises(store: Store, usccs: Sequence[str]) -> dict[str, Enterprise]:
    """The store's enterprises among ``usccs``, with what item matching reads."""
    path = store.table_path("enterprises")
    if path is None or not usccs:
        return {}
    rows = query("SELECT e.uscc, region_code, industry_code, enterprise_type, domain_tags "
                  "FROM read_parquet($path) e JOIN (SELECT unnest($codes) AS uscc) w "
                  "USING (uscc)", {"path": str(path), "codes": list(usccs)})
    found = {}
    for uscc, region, industry, kind, tags in rows:
        facts = EnterpriseFacts(industry[:1] or None, industry[:3] if len(industry) >= 3
                                else None, kind, tuple(tags or ()))
        found[uscc] = Enterprise(uscc, region, facts)
    return found


def licences_held(store: Store, usccs: Sequence[str], on: dt.date) -> dict[str, tuple[str, ...]]:
    """The licence types each of ``usccs`` holds on ``on`` (sorted; enterprises holding none
    are left out). A type is held when the latest licence record of it visible on ``on``
    (formed and collected by then, not revoked by then; on one day a revocation comes last)
    was granted or renewed, and, for a type with a term, fewer than that many years before
    ``on``. Records without a licence type (files older than the column) give none."""
    records = store.relation("records")
    if records is None or not usccs:
        return {}
    rows = query(
        "SELECT uscc, licence_type, outcome, occurred_on FROM ("
        "  SELECT r.uscc, licence_type, outcome, occurred_on, row_number() OVER ("
        "    PARTITION BY r.uscc, licence_type"
        "    ORDER BY occurred_on DESC, outcome = 'revoked' DESC, record_id DESC) AS latest"
        f"  FROM {records} r JOIN (SELECT unnest($codes) AS uscc) w USING (uscc)"
        "  WHERE list_contains($types, record_type) AND licence_type IS NOT NULL"
        "    AND occurred_on <= $on AND collected_on <= $on"
        "    AND (revoked_on IS NULL OR revoked_on > $on))"
        " WHERE latest = 1 AND list_contains($holding, outcome)",
        {"codes": list(usccs), "types": list(LICENCE_RECORD_TYPES), "on": on,
         "holding": list(HOLDING_OUTCOMES)})
    held: dict[str, set[str]] = defaultdict(set)
    for uscc, kind, _, since in rows:
        years = LICENCE_TYPES[kind].valid_years if kind in LICENCE_TYPES else None
        if years is None or on < since + relativedelta(years=years):
            held[uscc].add(kind)
    return {uscc: tuple(sorted(kinds)) for uscc, kinds in held.items()}


def recently_inspected(store: Store, since: dt.date, until: dt.date) -> set[str]:
    path = store.table_path("inspections")
    if path is None:
        return set()
    return {r[0] for r in query(
        "SELECT DISTINCT uscc FROM read_parquet($path) WHERE inspected_on > $since "
        "AND inspected_on <= $until", {"path": str(path), "since": since, "until": until})}


def inspected_pairs(store: Store, since: dt.date, until: dt.date,
                    draw_id: str | None = None) -> set[tuple[str, str]]:
    """(inspector, enterprise) pairs of the store's inspections dated after ``since`` and up
    to ``until``, by their ``inspector_ids`` (inspections without them give none), leaving out
    the results of draw ``draw_id`` (a draw is never kept from its own inspectors)."""
    inspections = store.relation("inspections")
    if inspections is None:
        return set()
    return {(inspector, uscc) for inspector, uscc in query(
        f"SELECT DISTINCT unnest(inspector_ids) AS inspector_id, uscc FROM {inspections} "
        "WHERE inspected_on > $since AND inspected_on <= $until "
        "AND inspector_ids IS NOT NULL AND draw_id IS DISTINCT FROM $draw",
        {"since": since, "until": until, "draw": draw_id})}


def avoided_pairs(results: ResultsStore, store: Store, drawn_on: dt.date, months: int,
                  before: dt.datetime, inspections: bool = True,
                  draw_id: str | None = None) -> frozenset[tuple[str, str]]:
    """The (inspector, enterprise) pairs 回避 keeps apart for a draw dated ``drawn_on``
    (``inspected_recently``): the inspector inspected the enterprise within ``months`` months
    (the store's inspections but those of draw ``draw_id``, the draw being verified; left out
    with ``inspections`` False, as draws of record format 1 were made) or an earlier draw (not
    cancelled, made before ``before``) dated within them assigned it; none when ``months`` is
    0."""
    if months == 0:
        return frozenset()
    since = months_before(drawn_on, months)
    inspected = inspected_pairs(store, since, drawn_on, draw_id) if inspections else set()
    return frozenset(DrawBook(results.engine).recent_pairs(since, before) | inspected)


def months_before(day: dt.date, months: int) -> dt.date:
    return day - relativedelta(months=months)


def population(results: ResultsStore, store: Store, run_id: str, period: dt.date,
               catalogue: Catalogue, task: Task, filters: Filters, scope: Scope,
               drawn_on: dt.date, recent_months: int, before: dt.datetime
               ) -> tuple[list[Member], dict[str, Enterprise]]:
    """The task's members (sorted by uscc) and their enterprises (with the licences they
    hold at ``period`` when an item of the task asks for one)."""
    classes = results.results_of(run_id, ("uscc", "risk_level")).to_pydict()
    levels = dict(zip(classes.get("uscc", []), classes.get("risk_level", []), strict=True))
    found = enterprises(store, sorted(levels))
    if catalogue.asks_licences(task):
        held = licences_held(store, sorted(found), period)
        found = {u: replace(e, facts=replace(e.facts, licence_types=held.get(u, ())))
                 for u, e in found.items()}
    since = months_before(drawn_on, recent_months)
    recent = set() if recent_months == 0 else (
        recently_inspected(store, since, drawn_on)
        | DrawBook(results.engine).recent_targets(since, before))
    items_of: dict[EnterpriseFacts, tuple[str, ...]] = {}
    members = []
    for uscc in sorted(found):
        enterprise = found[uscc]
        if not (scope.covers(enterprise.region_code) and _passes(enterprise, filters)):
            continue
        if enterprise.facts not in items_of:
            items_of[enterprise.facts] = catalogue.applicable(task, enterprise.facts)
        items = items_of[enterprise.facts]
        if items:
            members.append(Member(uscc, levels[uscc], uscc in recent, items))
    return members, found


def _passes(enterprise: Enterprise, filters: Filters) -> bool:
    facts = enterprise.facts
    return ((filters.region is None or enterprise.region_code.startswith(filters.region))
            and (not filters.sections or facts.section in filters.sections)
            and (not filters.divisions or facts.division in filters.divisions)
            and (not filters.enterprise_types or facts.enterprise_type in filters.enterprise_types)
            and (not filters.domain_tags
                 or any(tag in filters.domain_tags for tag in facts.domain_tags)))


def legal_representatives(store: Store, usccs: Sequence[str],
                          on: dt.date) -> dict[str, frozenset[str]]:
    """Each enterprise's legal representatives (persons) in office on ``on``."""
    path = store.table_path("relations")
    if path is None or not usccs:
        return {}
    found: dict[str, set[str]] = defaultdict(set)
    for uscc, party in query(
            "SELECT r.uscc, party_id FROM read_parquet($path) r "
            "JOIN (SELECT unnest($codes) AS uscc) w USING (uscc) "
            "WHERE role = 'legal_representative' AND party_kind = 'person' "
            "AND started_on <= $on AND (ended_on IS NULL OR ended_on > $on)",
            {"path": str(path), "codes": list(usccs), "on": on}):
        found[uscc].add(party)
    return {uscc: frozenset(parties) for uscc, parties in found.items()}


@dataclass(frozen=True)
class Roster:
    inspectors: tuple[Inspector, ...]
    excluded_units: dict[str, frozenset[str]]
    sha256: str
    """sha256 of the roster's rows as canonical JSON lines, sorted by inspector id."""


def roster(store: Store) -> Roster:
    """The store's inspectors (empty when none was ingested)."""
    path = store.table_path("inspectors")
    if path is None:
        return Roster((), {}, hashlib.sha256(b"").hexdigest())
    rows = query("SELECT inspector_id, unit, unit_region, department, qualifications, "
                  "conflict_enterprises, conflict_persons, unit_conflicts "
                  "FROM read_parquet($path) ORDER BY inspector_id", {"path": str(path)})
    digest = hashlib.sha256()
    inspectors, units = [], defaultdict(set)
    for row in rows:
        (inspector_id, unit, region, department, qualified, enterprises_, persons,
         unit_conflicts) = row
        digest.update(json.dumps([inspector_id, unit, region, department, sorted(qualified),
                                  sorted(enterprises_ or ()), sorted(persons or ()),
                                  sorted(unit_conflicts or ())], ensure_ascii=False,
                                 separators=(",", ":")).encode() + b"\n")
        inspectors.append(Inspector(inspector_id, unit, region, department,
                                    frozenset(qualified), frozenset(enterprises_ or ()),
                                    frozenset(persons or ())))
        units[unit].update(unit_conflicts or ())
    return Roster(tuple(inspectors), {u: frozenset(c) for u, c in units.items() if c},
                  digest.hexdigest())


def needs(targets: Sequence[tuple[str, tuple[str, ...]]], found: dict[str, Enterprise],
          store: Store, on: dt.date) -> list[Need]:
    """What staffing needs of each (uscc, items) target."""
    representatives = legal_representatives(store, [u for u, _ in targets], on)
    return [Need(uscc, found[uscc].region_code, items,
                 representatives.get(uscc, frozenset())) for uscc, items in targets]

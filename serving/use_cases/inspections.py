"""Spot-check results coming back from the sampling module (抽查结果回流), into the store.

Each submitted `InspectionResult` becomes one ``inspections`` row and one ``spot_check``
record; both are written as Parquet files in a private temporary folder and ingested by
`features.ingest.ingest`, so validation, identity checks, duplicate handling and the atomic
publication of a store version are exactly those of ``ecr ingest``. A batch lands whole or not
at all: when any row is rejected (or an enterprise is unknown) nothing is published and
`InvalidSubmission` names every problem by item and field. The enterprises concerned are then
re-scored (`serving.use_cases.classify.rescore` limited to them) and their warnings reported.

Concurrent submissions queue on the store's writer lock (up to ``wait`` seconds) and on the
rescore period's lease.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from features.contract import INSPECTIONS, RECORDS
from features.ingest import IngestReport, TableCounts, ingest
from features.reference.uscc import check_codes
from features.store import Store, StoreBusy
from features.training_set import data_end
from models.policy.profiles import Profile
from models.registry import LoadedModel
from serving.results.draws import DrawBook
from serving.results.rows import StoredWarning
from serving.results.store import PeriodBusy, ResultsStore
from serving.use_cases.arguments import normal_uscc
from serving.use_cases.classify import RescoreOutcome, rescore
from serving.use_cases.errors import InvalidRequest

MAX_SUBMISSIONS = 10_000
"""Largest batch accepted in one call."""
UNDRAWN_PREFIX = "UNDRAWN-"
"""Start of the draw id given to a result submitted without one (see `InspectionResult`)."""
SOURCE_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
DRAW_ID = re.compile(r"DRW-\d{8}-[0-9a-f]{12}")
"""The ids `serving.use_cases.draws` gives its draws; results naming one are checked against
it (other ids, from other sampling systems, are taken as given)."""
SHOWN_ERRORS = 5
"""Problems spelled out in an `InvalidSubmission` message (all are in ``errors``)."""
RECORD_TYPE = "spot_check"

INSPECTION_FIELDS = {"draw_id": "draw_id", "uscc": "uscc", "inspected_on": "inspected_on",
                     "items": "items", "result": "result", "department": "department",
                     "inspector_ids": "inspector_ids", "draw_id, uscc": "uscc"}
RECORD_FIELDS = {"record_id": "uscc", "uscc": "uscc", "record_type": "result",
                 "occurred_on": "inspected_on", "collected_on": "inspected_on",
                 "department": "department", "outcome": "result", "details": "items"}
"""The submitted field each contract column comes from (a key duplicate names ``uscc``)."""

T = TypeVar("T")


@dataclass(frozen=True)
class InspectionResult:
    """One spot-check result as the sampling module posts it.

    Becomes, in the data contract:

    - ``inspections``: draw_id, uscc, inspected_on, items, result, department and
      inspector_ids (who inspected: the roster's ids; none when not given) as given;
    - ``records``: record_id ``spot_check:<draw_id>:<uscc>`` (one record per draw and
      enterprise, so a resent result replaces its record), uscc, record_type ``spot_check``,
      occurred_on = inspected_on, collected_on = the day it first reached the store (kept
      when the record is resent), department, outcome = result, details
      ``{"draw_id": …, "items": […]}``.

    ``uscc`` is read without surrounding spaces and upper-cased; ``result`` is one of the
    contract's `features.contract.INSPECTION_RESULTS` (no_problem, problem_found,
    not_located), checked by the contract like everything else. Until draws exist a result may
    come without ``draw_id``; its draw id is then ``UNDRAWN-<inspected_on>-<8 hex of
    sha256(department)>`` (one per day and department). The ``inspector_ids`` keep those
    inspectors away from the enterprise in the draws of the avoidance window (回避).
    """

    uscc: str
    inspected_on: dt.date
    items: tuple[str, ...]
    result: str
    department: str
    draw_id: str | None = None
    inspector_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("items", "inspector_ids"):
            if isinstance(getattr(self, name), list):
                object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def row_draw_id(self) -> str:
        """The draw id stored for this result (derived when none was given)."""
        if self.draw_id is not None:
            return self.draw_id
        department = hashlib.sha256(self.department.encode()).hexdigest()[:8]
        return f"{UNDRAWN_PREFIX}{self.inspected_on.isoformat()}-{department}"

    @property
    def record_id(self) -> str:
        return f"{RECORD_TYPE}:{self.row_draw_id}:{normal_uscc(self.uscc)}"


@dataclass(frozen=True)
class ItemError:
    """One problem of one submitted result."""

    index: int
    """Position of the result in the submission, from 0."""
    field: str
    """The submitted field (``uscc``, ``inspected_on``, ``items``…)."""
    expected: str
    found: str
    message: str
    contract: tuple[str, ...] = ()
    """Where the data contract found it (``inspections.inspected_on``, ``records.occurred_on``);
    empty for a problem found before the contract (a wrong type, an unknown enterprise)."""

    @property
    def location(self) -> str:
        return f"items[{self.index}].{self.field}"


class InvalidSubmission(InvalidRequest):
    """At least one submitted result is invalid; nothing was recorded. ``errors`` has every
    problem, in item order."""

    def __init__(self, errors: Sequence[ItemError], submitted: int) -> None:
        self.errors = tuple(errors)
        self.submitted = submitted
        items = len({e.index for e in self.errors})
        shown = "; ".join(e.message for e in self.errors[:SHOWN_ERRORS])
        more = len(self.errors) - SHOWN_ERRORS
        super().__init__(
            f"{items} of {submitted} inspection results rejected, nothing was recorded: "
            f"{shown}" + (f"; and {more} more problems" if more > 0 else ""))


@dataclass(frozen=True)
class Accepted:
    """How the accepted rows of one table changed the store."""

    inserted: int
    updated: int
    unchanged: int

    @classmethod
    def of(cls, counts: TableCounts) -> Accepted:
        return cls(counts.inserted, counts.updated, counts.unchanged)


@dataclass(frozen=True)
class InspectionOutcome:
    """What recording a batch did."""

    accepted: int
    """Results recorded (all of those submitted)."""
    inspections: Accepted
    spot_checks: Accepted
    store_version: str
    published: bool
    """False when every result was already stored as sent: no new version."""
    rescore: RescoreOutcome | None
    rescore_problem: str | None = None
    """Why the enterprises were not re-scored (None when they were); the results stay
    recorded either way, and the next monthly run warns about them."""
    usccs: tuple[str, ...] = field(default=())
    """The enterprises concerned, as stored, sorted."""

    @property
    def warnings(self) -> list[StoredWarning]:
        """Warnings raised by the re-scoring for the enterprises concerned."""
        return list(self.rescore.warnings) if self.rescore else []


def record_inspection_results(
    store: Store, results: ResultsStore, model: LoadedModel, profile: Profile,
    submissions: Sequence[InspectionResult], *, source: str = "request",
    today: dt.date | None = None, region: str | None = None, wait: float = 60.0,
) -> InspectionOutcome:
    """Validate ``submissions`` with the data contract and publish them to ``store`` as one
    new version (all or nothing), then re-score their enterprises for warnings.

    ``source`` names the ingested files (``inspections-<source>.parquet``) in the store's
    manifest; ``today`` is the day the results reach the store (the contract's "not in the
    future"); an enterprise registered outside ``region`` (a division-code prefix, e.g. an
    API key's) is reported exactly like an unknown one. Raises `InvalidSubmission` with every
    problem by item and field, `InvalidRequest` for bad arguments, and
    `features.store.StoreBusy` when the store's writer lock stays held for ``wait`` seconds.
    """
    today = today or dt.date.today()
    _check_arguments(submissions, source, region, wait)
    type_errors = [e for i, s in enumerate(submissions) for e in _type_errors(i, s)]
    if type_errors:
        raise InvalidSubmission(type_errors, len(submissions))
    current = store.pinned()
    unknown = (_unknown_enterprises(current, submissions, region)
               + _draw_errors(results, submissions))
    collected = _stored_collection_dates(current, [s.record_id for s in submissions])
    with tempfile.TemporaryDirectory(prefix="ecr-inspections-") as folder:
        paths = _write_tables(Path(folder), source, submissions, collected, today)
        report = _waiting(wait, StoreBusy, lambda: ingest(
            paths, store, rejects_path=Path(folder) / "rejects.csv", today=today,
            publish="nothing" if unknown else "all_or_nothing",
            full=True))  # a batch is small; a repeated one reports its counts and rejects again
        errors = unknown + _contract_errors(report, paths)
    if errors:
        raise InvalidSubmission(sorted(errors, key=lambda e: e.index), len(submissions))
    if report.version is None:  # pragma: no cover - an accepted batch always leaves a version
        raise AssertionError("an accepted batch left the store without a version")
    usccs = tuple(sorted({normal_uscc(s.uscc) for s in submissions}))
    rescored, problem = _rescore(store, results, model, profile, usccs, wait)
    return InspectionOutcome(
        accepted=len(submissions), inspections=Accepted.of(report.tables["inspections"]),
        spot_checks=Accepted.of(report.tables["records"]), store_version=report.version,
        published=report.published, rescore=rescored, rescore_problem=problem, usccs=usccs)


def _check_arguments(submissions: Sequence[InspectionResult], source: str,
                     region: str | None, wait: float) -> None:
    if not isinstance(submissions, Sequence) or isinstance(submissions, str | bytes):
        raise InvalidRequest(f"submissions: expected a sequence of inspection results, found "
                             f"{type(submissions).__name__}")
    if not 1 <= len(submissions) <= MAX_SUBMISSIONS:
        raise InvalidRequest(f"submissions: expected 1 to {MAX_SUBMISSIONS:,} inspection "
                             f"results, found {len(submissions):,}")
    wrong = next((i for i, s in enumerate(submissions) if not isinstance(s, InspectionResult)),
                 None)
    if wrong is not None:
        raise InvalidRequest(f"submissions[{wrong}]: expected an InspectionResult, found "
                             f"{type(submissions[wrong]).__name__}")
    if not isinstance(source, str) or not SOURCE_PATTERN.fullmatch(source):
        raise InvalidRequest(f"source: expected 1 to 64 letters, digits, '.', '_' or '-', "
                             f"found {source!r}")
    if region is not None and not re.fullmatch(r"[0-9]{1,6}", region):
        raise InvalidRequest(f"region: expected a division-code prefix of 1 to 6 digits, "
                             f"found {region!r}")
    if not wait >= 0:
        raise InvalidRequest(f"wait: expected seconds ≥ 0, found {wait!r}")


def _type_errors(index: int, submission: InspectionResult) -> list[ItemError]:
    """Values of the wrong Python type, which cannot even be written for the contract."""
    def text(value: Any) -> bool:
        return isinstance(value, str)

    checks: list[tuple[str, bool, str]] = [
        ("uscc", text(submission.uscc), "text"),
        ("inspected_on", isinstance(submission.inspected_on, dt.date)
         and not isinstance(submission.inspected_on, dt.datetime), "a date"),
        ("items", isinstance(submission.items, tuple)
         and all(text(item) for item in submission.items), "a list of text"),
        ("result", text(submission.result), "text"),
        ("department", text(submission.department), "text"),
        ("draw_id", submission.draw_id is None or text(submission.draw_id), "text or nothing"),
        ("inspector_ids", isinstance(submission.inspector_ids, tuple)
         and all(text(i) for i in submission.inspector_ids), "a list of text"),
    ]
    errors = []
    for name, passes, expected in checks:
        if not passes:
            value = getattr(submission, name)
            found = f"{value!r} ({type(value).__name__})"
            errors.append(ItemError(index, name, expected, found,
                                    f"items[{index}].{name}: expected {expected}, found {found}"))
    return errors


def _unknown_enterprises(store: Store, submissions: Sequence[InspectionResult],
                         region: str | None) -> list[ItemError]:
    """A per-item error for every valid code the store holds no enterprise for (or holds
    outside ``region``). Ingest never removes an enterprise, so what is known now stays known
    when the ingest publishes."""
    codes = [normal_uscc(s.uscc) for s in submissions]
    valid = check_codes(codes).tolist()
    wanted = sorted({c for c, ok in zip(codes, valid, strict=True) if ok})
    path = store.table_path("enterprises")
    registered: dict[str, str] = {}
    if path is not None and wanted:
        registered = dict(_query(
            "SELECT uscc, region_code FROM read_parquet($path) WHERE list_contains($codes, uscc)",
            {"path": str(path), "codes": wanted}))
    expected = "an enterprise registered in the store" + (
        f" in division {region}…" if region else "")
    errors = []
    for index, (code, ok) in enumerate(zip(codes, valid, strict=True)):
        known = code in registered and (region is None or registered[code].startswith(region))
        if ok and not known:
            errors.append(ItemError(index, "uscc", expected, code,
                                    f"items[{index}].uscc: expected {expected}, found {code}"))
    return errors


def _draw_errors(results: ResultsStore,
                 submissions: Sequence[InspectionResult]) -> list[ItemError]:
    """A per-item error for a result naming a draw of this service (``DRW-…``) that does not
    exist, is cancelled, or did not draw the enterprise: results link back to their draw's
    targets, so a wrong id never counts as progress."""
    ours = sorted({s.draw_id for s in submissions
                   if s.draw_id is not None and DRAW_ID.fullmatch(s.draw_id)})
    if not ours:
        return []
    book = DrawBook(results.engine)
    targets = {d: {t.uscc for t in book.targets(d)} for d in ours if book.get(d)}
    cancelled = book.cancellations(targets)
    errors = []
    for index, submission in enumerate(submissions):
        draw_id = submission.draw_id
        if draw_id not in ours:
            continue
        if draw_id not in targets:
            problem = ("draw_id", "a draw of this service", draw_id)
        elif draw_id in cancelled:
            problem = ("draw_id", "a draw that is not cancelled", f"{draw_id} (cancelled)")
        elif normal_uscc(submission.uscc) not in targets[draw_id]:
            problem = ("uscc", f"a target of draw {draw_id}", normal_uscc(submission.uscc))
        else:
            continue
        name, expected, found = problem
        errors.append(ItemError(index, name, expected, found,
                                f"items[{index}].{name}: expected {expected}, found {found}"))
    return errors


def _stored_collection_dates(store: Store, record_ids: list[str]) -> dict[str, dt.date]:
    """When each of these records first reached the store, for those it holds."""
    path = store.table_path("records")
    if path is None or not record_ids:
        return {}
    return dict(_query(
        "SELECT record_id, collected_on FROM read_parquet($path) "
        "WHERE list_contains($ids, record_id)",
        {"path": str(path), "ids": sorted(set(record_ids))}))


def _query(sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on a connection of this call's own (DuckDB's default connection is
    shared by every thread, and requests run in several)."""
    with duckdb.connect() as connection:
        return connection.execute(sql, parameters).fetchall()


def _write_tables(folder: Path, source: str, submissions: Sequence[InspectionResult],
                  collected: dict[str, dt.date], today: dt.date) -> list[Path]:
    """The contract's two tables, one row per submission each, in submission order."""
    inspections, records = [], []
    for s in submissions:
        uscc, draw_id = normal_uscc(s.uscc), s.row_draw_id
        inspections.append({"draw_id": draw_id, "uscc": uscc, "inspected_on": s.inspected_on,
                            "items": list(s.items), "result": s.result,
                            "department": s.department,
                            "inspector_ids": list(s.inspector_ids) or None})
        records.append({
            "record_id": s.record_id, "uscc": uscc, "record_type": RECORD_TYPE,
            "occurred_on": s.inspected_on, "collected_on": collected.get(s.record_id, today),
            "department": s.department, "outcome": s.result,
            "details": json.dumps({"draw_id": draw_id, "items": list(s.items)},
                                  ensure_ascii=False, separators=(",", ":")),
        })
    paths = []
    for table, rows in ((INSPECTIONS, inspections), (RECORDS, records)):
        path = folder / f"{table.name}-{source}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=table.arrow_schema()), path)
        paths.append(path)
    return paths


def _contract_errors(report: IngestReport, paths: list[Path]) -> list[ItemError]:
    """The ingest's rejects as per-item errors: row r of either file is item r - 1. Problems
    the two tables state alike (same item, field, expected and found) are one error naming
    both places."""
    inspections, records = (str(p) for p in paths)
    fields = {inspections: INSPECTION_FIELDS, records: RECORD_FIELDS}
    rows = re.compile("(?:" + "|".join(re.escape(p) for p in (inspections, records))
                      + r") row (\d+)")
    merged: dict[tuple[int, str, str, str], list[str]] = {}
    for reject in report.rejects.iter_rows(named=True):
        index = reject["row"] - 1
        name = fields[reject["file"]].get(reject["field"], reject["field"])
        found = rows.sub(lambda m: f"items[{int(m.group(1)) - 1}]", reject["found"] or "")
        place = f"{reject['table']}.{reject['field']}"
        merged.setdefault((index, name, reject["expected"], found), []).append(place)
    rejected = sum(c.rejected for c in report.tables.values())
    if rejected and not merged:  # pragma: no cover - counts reconcile in ingest
        raise AssertionError(f"{rejected} rows rejected without a stated problem")
    return [ItemError(index, name, expected, found,
                      f"items[{index}].{name}: expected {expected}, found {found} "
                      f"(data contract: {', '.join(places)})", tuple(places))
            for (index, name, expected, found), places in merged.items()]


def _rescore(store: Store, results: ResultsStore, model: LoadedModel, profile: Profile,
             usccs: tuple[str, ...], wait: float) -> tuple[RescoreOutcome | None, str | None]:
    """Re-score ``usccs`` from the latest published period before the store's data end;
    the outcome, or None and why not. The results are published already: a failure here is
    reported, never raised."""
    try:
        as_of = data_end(store.pinned())
        baseline = results.previous_published(as_of)
        if baseline is None:
            return None, (f"no classification is published for a period before {as_of}: "
                          "the enterprises are re-scored by the next monthly run")
        return _waiting(wait, PeriodBusy, lambda: rescore(
            store, results, model, baseline.period, as_of, profile, only=usccs)), None
    except Exception as error:  # the results are recorded: report, never undo
        lines = str(error).strip().splitlines()
        return None, f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _waiting(wait: float, busy: type[Exception], attempt: Callable[[], T]) -> T:
    """``attempt()``, tried again while it raises ``busy``, for up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    pause = 0.05
    while True:
        try:
            return attempt()
        except busy:
            if time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 1.0)

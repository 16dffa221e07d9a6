"""Spot-check results coming back: a valid batch lands in the store through the ingest path and
its enterprises are re-scored for warnings; an invalid batch publishes nothing and names every
item and field; resends, replays and concurrent submissions change the store once each."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from features.reference.uscc import is_valid
from features.store import Store
from features.training_set import data_end
from models.policy.profiles import profile
from models.registry import LoadedModel, ModelRegistry
from serving.results.idempotency import (
    IdempotencyConflict,
    IdempotencyRecords,
    with_idempotency,
)
from serving.results.store import ResultsStore
from serving.use_cases import InvalidRequest, classify_period
from serving.use_cases.inspections import (
    InspectionOutcome,
    InspectionResult,
    InvalidSubmission,
    ItemError,
    record_inspection_results,
)
from tests.conftest import Trained

DECEMBER = dt.date(2025, 12, 31)
UNKNOWN_USCC = "91350200776049653A"
DEPARTMENT = "南阳市市场监督管理局"
ROUTE = "POST /v1/inspection-results"


@pytest.fixture(scope="module")
def model(trained: Trained) -> LoadedModel:
    return ModelRegistry(trained.tracking_uri).load(trained.model_uri)


@pytest.fixture(scope="module")
def published(synthetic_store: Store, model: LoadedModel,
              tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results database with December 2025 published (copied by each test)."""
    database = tmp_path_factory.mktemp("inspections") / "results.db"
    results = ResultsStore(f"sqlite:///{database}").migrate()
    classify_period(synthetic_store, results, model, DECEMBER, profile())
    results.engine.dispose()
    return database


@pytest.fixture
def store(synthetic_store: Store, tmp_path: Path) -> Store:
    copy = Store(tmp_path / "store")
    shutil.copytree(synthetic_store.root, copy.root)
    return copy


@pytest.fixture
def results(published: Path, tmp_path: Path) -> ResultsStore:
    target = tmp_path / "results.db"
    with sqlite3.connect(published) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return ResultsStore(f"sqlite:///{target}").migrate()


@pytest.fixture(scope="module")
def operating(synthetic_store: Store) -> list[str]:
    """Enterprises operating at the store's data end, established before 2024."""
    enterprises = pq.read_table(synthetic_store.table_path("enterprises"))
    alive = enterprises.filter(pc.and_(
        pc.equal(enterprises["status"], "operating"),
        pc.less(enterprises["established_on"], dt.date(2024, 1, 1))))
    return sorted(alive["uscc"].to_pylist())[:10]


@pytest.fixture(scope="module")
def today(synthetic_store: Store) -> dt.date:
    """A few days after the store's data ends: results reach it then."""
    return data_end(synthetic_store) + dt.timedelta(days=3)


def result(uscc: str, on: dt.date, outcome: str = "problem_found", draw: str | None = "DR-1",
           **changes: Any) -> InspectionResult:
    values = {"uscc": uscc, "inspected_on": on, "items": ["登记事项", "广告发布"],
              "result": outcome, "department": DEPARTMENT, "draw_id": draw} | changes
    return InspectionResult(**values)


def record(store: Store, results: ResultsStore, model: LoadedModel,
           submissions: list[InspectionResult], today: dt.date) -> InspectionOutcome:
    return record_inspection_results(store, results, model, profile(), submissions,
                                     today=today, wait=120)


def rows(store: Store, table: str, column: str, values: list[str]) -> list[dict[str, Any]]:
    stored = pq.read_table(store.table_path(table))
    return stored.filter(pc.is_in(stored[column], pc.cast(values, "string"))).to_pylist()


def run_count(results: ResultsStore) -> int:
    with results.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT count(*) FROM classification_runs").scalar()


def test_a_valid_batch_lands_and_a_failed_check_raises_a_warning(
        store: Store, results: ResultsStore, model: LoadedModel, operating: list[str],
        today: dt.date) -> None:
    failed, clean = operating[0], operating[1]
    before = store.version
    on = today - dt.timedelta(days=1)
    team = ["INS-411302-SCJG-001", "INS-411302-SCJG-004"]
    outcome = record(store, results, model, [
        result(f" {failed.lower()} ", on, inspector_ids=team),  # read as stored: upper case
        result(clean, on, "no_problem", draw=None),
    ], today)

    assert outcome.published and outcome.store_version == store.version != before
    assert outcome.accepted == 2 and outcome.usccs == tuple(sorted((failed, clean)))
    assert outcome.inspections.inserted == outcome.spot_checks.inserted == 2
    inspections = {r["uscc"]: r for r in rows(store, "inspections", "uscc", [failed, clean])
                   if r["inspected_on"] == on}
    assert inspections[failed]["draw_id"] == "DR-1"
    assert inspections[failed]["items"] == ["登记事项", "广告发布"]
    assert inspections[failed]["inspector_ids"] == team  # 回避 reads them
    assert inspections[clean]["inspector_ids"] is None
    assert inspections[clean]["draw_id"].startswith(f"UNDRAWN-{on.isoformat()}-")
    records = {r["uscc"]: r for r in rows(store, "records", "record_id", [
        f"spot_check:DR-1:{failed}", f"spot_check:{inspections[clean]['draw_id']}:{clean}"])}
    assert records[failed]["record_type"] == "spot_check"
    assert records[failed]["outcome"] == "problem_found"
    assert (records[failed]["occurred_on"], records[failed]["collected_on"]) == (on, today)
    assert json.loads(records[failed]["details"]) == {"draw_id": "DR-1",
                                                      "items": ["登记事项", "广告发布"]}
    assert records[clean]["outcome"] == "no_problem"
    files = [Path(f["path"]).name for f in store.manifest()["ingests"][-1]["files"]]
    assert files == ["inspections-request.parquet", "records-request.parquet"]

    assert outcome.rescore_problem is None and outcome.rescore is not None
    assert outcome.rescore.rescored == 2 and outcome.rescore.run.kind == "rescore"
    assert outcome.rescore.run.period == today
    warned = {w.uscc: w for w in outcome.warnings}
    assert "failed_spot_check" in warned[failed].triggers and warned[failed].severity >= 3
    assert clean not in warned or "failed_spot_check" not in warned[clean].triggers
    assert len(results.warnings_of(outcome.rescore.run.run_id)) == len(outcome.warnings)

    # sent again days later: nothing changes, the record keeps the day it first arrived
    again = record(store, results, model, [result(failed, on, inspector_ids=team),
                                           result(clean, on, "no_problem", draw=None)],
                   today + dt.timedelta(days=2))
    assert not again.published and again.store_version == outcome.store_version
    assert again.inspections.unchanged == again.spot_checks.unchanged == 2

    # a record keeps its formation date: a changed inspection date is refused, nothing lands
    with pytest.raises(InvalidSubmission) as refused:
        record(store, results, model, [result(failed, on - dt.timedelta(days=5))], today)
    assert store.version == outcome.store_version
    [error] = refused.value.errors
    assert (error.location, error.contract) == ("items[0].inspected_on",
                                                ("records.occurred_on",))
    assert "as stored under record_id" in error.expected and str(on) in error.expected


def test_an_invalid_batch_publishes_nothing_and_names_each_item_and_field(
        store: Store, results: ResultsStore, model: LoadedModel, operating: list[str],
        today: dt.date) -> None:
    good = operating[2]
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert is_valid(UNKNOWN_USCC) and not is_valid(bad_check)
    on = today - dt.timedelta(days=1)
    before, runs = store.version, run_count(results)
    submissions = [
        result(good, on),
        result(bad_check, on),
        result(operating[3], today + dt.timedelta(days=1)),
        result(operating[4], on, "failed"),
        result(UNKNOWN_USCC, on),
        result(good, on, "no_problem"),  # the same draw and enterprise as items[0]
    ]
    with pytest.raises(InvalidSubmission) as refused:
        record(store, results, model, submissions, today)

    assert store.version == before and run_count(results) == runs
    assert not (store.root / "rejects").exists()
    errors = refused.value.errors
    assert {e.index for e in errors} == {1, 2, 3, 4, 5}

    def at(location: str, contract: str | None = None) -> ItemError:
        [error] = [e for e in errors if e.location == location
                   and (contract in e.contract if contract else not e.contract)]
        return error

    assert at("items[1].uscc", "inspections.uscc").expected.startswith("a GB 32100 code")
    assert at("items[1].uscc", "inspections.uscc").contract == ("inspections.uscc",
                                                                "records.uscc")
    future = at("items[2].inspected_on", "inspections.inspected_on")
    assert future.expected == f"a date between 1900-01-01 and today ({today})"
    assert future.found == str(today + dt.timedelta(days=1))
    assert future.contract == ("inspections.inspected_on", "records.occurred_on")
    assert at("items[2].inspected_on", "records.collected_on").expected == (
        "on or after occurred_on")  # the record reaches the store today, before it occurred
    unknown_result = at("items[3].result", "inspections.result")
    assert unknown_result.expected == "one of no_problem, problem_found, not_located"
    assert unknown_result.found == "failed"
    assert at("items[3].result", "records.outcome").expected.startswith(
        "the outcome list of its record_type")
    assert at("items[4].uscc").expected == "an enterprise registered in the store"
    duplicate = at("items[5].uscc", "inspections.draw_id, uscc")
    assert duplicate.found == f"DR-1, {good} (same key as items[0])"
    assert at("items[5].uscc", "records.record_id").found == (
        f"spot_check:DR-1:{good} (same key as items[0])")
    assert "/tmp" not in " ".join(e.message for e in errors)
    assert len(errors) == 8  # each of the above: nothing left out, nothing said twice
    assert all(e.message.startswith(e.location + ": expected ") for e in errors)
    message = str(refused.value)
    assert message.startswith("5 of 6 inspection results rejected, nothing was recorded: "
                              "items[1].uscc: expected a GB 32100 code")
    assert isinstance(refused.value, InvalidRequest)


def test_an_enterprise_outside_the_callers_region_is_unknown(
        store: Store, results: ResultsStore, model: LoadedModel, operating: list[str],
        today: dt.date) -> None:
    enterprise = rows(store, "enterprises", "uscc", [operating[5]])[0]
    elsewhere = "1" if enterprise["region_code"][0] != "1" else "2"
    with pytest.raises(InvalidSubmission) as refused:
        record_inspection_results(store, results, model, profile(),
                                  [result(operating[5], today)], today=today, region=elsewhere)
    [error] = refused.value.errors
    assert error.location == "items[0].uscc"
    assert error.expected == f"an enterprise registered in the store in division {elsewhere}…"


def test_arguments_and_types_are_checked_before_anything_is_read(
        synthetic_store: Store, model: LoadedModel, tmp_path: Path, today: dt.date) -> None:
    results = ResultsStore(f"sqlite:///{tmp_path}/results.db").migrate()

    def call(submissions: Any, **options: Any) -> None:
        record_inspection_results(synthetic_store, results, model, profile(), submissions,
                                  today=today, **options)

    with pytest.raises(InvalidRequest, match="submissions: expected 1 to 10,000 inspection "
                                             "results, found 0"):
        call([])
    with pytest.raises(InvalidRequest, match=r"submissions\[0\]: expected an InspectionResult,"
                                             " found dict"):
        call([{"uscc": UNKNOWN_USCC}])
    with pytest.raises(InvalidRequest, match="source: expected 1 to 64 letters"):
        call([result(UNKNOWN_USCC, today)], source="../escape")
    with pytest.raises(InvalidSubmission) as refused:
        call([result(UNKNOWN_USCC, "2026-01-05"), result(UNKNOWN_USCC, today, items="登记事项"),
              result(UNKNOWN_USCC, today, inspector_ids=("INS-1", 7))])
    assert [(e.location, e.expected) for e in refused.value.errors] == [
        ("items[0].inspected_on", "a date"), ("items[1].items", "a list of text"),
        ("items[2].inspector_ids", "a list of text")]
    assert refused.value.errors[0].found == "'2026-01-05' (str)"


def test_without_a_published_period_the_results_land_and_rescoring_waits(
        store: Store, model: LoadedModel, operating: list[str], tmp_path: Path,
        today: dt.date) -> None:
    results = ResultsStore(f"sqlite:///{tmp_path}/empty.db").migrate()
    outcome = record(store, results, model, [result(operating[6], today)], today)
    assert outcome.published and outcome.rescore is None and outcome.warnings == []
    assert outcome.rescore_problem == (
        f"no classification is published for a period before {today}: the enterprises are "
        "re-scored by the next monthly run")


def test_a_replay_with_the_same_idempotency_key_writes_nothing(
        store: Store, results: ResultsStore, model: LoadedModel, operating: list[str],
        today: dt.date) -> None:
    records = IdempotencyRecords(results.engine)
    calls: list[int] = []

    def post(body: bytes) -> tuple[int, dict[str, Any], bool]:
        def run() -> tuple[int, dict[str, Any]]:
            calls.append(1)
            items = json.loads(body)["items"]
            outcome = record(store, results, model, [
                result(i["uscc"], dt.date.fromisoformat(i["inspected_on"])) for i in items],
                today)
            return 201, {"store_version": outcome.store_version,
                         "inspections": asdict(outcome.inspections),
                         "warnings": [w.uscc for w in outcome.warnings]}

        return with_idempotency(records, "key01", "batch-7", ROUTE, body, run)

    body = json.dumps({"items": [{"uscc": operating[7], "inspected_on": str(today)}]}).encode()
    status, first, replayed = post(body)
    assert (status, replayed) == (201, False) and first["warnings"] == [operating[7]]
    version, ingests, runs = store.version, len(store.manifest()["ingests"]), run_count(results)
    assert post(body) == (201, first, True)
    assert (store.version, len(store.manifest()["ingests"]), run_count(results)) == (
        version, ingests, runs)
    assert len(calls) == 1
    other = json.dumps({"items": [{"uscc": operating[8], "inspected_on": str(today)}]}).encode()
    with pytest.raises(IdempotencyConflict, match="another request body"):
        post(other)
    assert len(calls) == 1 and store.version == version


def test_concurrent_submissions_queue_on_the_writer_lock_and_both_land(
        store: Store, results: ResultsStore, model: LoadedModel, operating: list[str],
        today: dt.date) -> None:
    before = int(store.version[1:])
    barrier = threading.Barrier(2)
    outcomes: dict[str, InspectionOutcome] = {}
    failures: list[BaseException] = []

    def submit(uscc: str) -> None:
        try:
            barrier.wait(30)
            outcomes[uscc] = record(store, results, model, [result(uscc, today)], today)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=submit, args=(u,)) for u in operating[8:10]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert failures == [] and len(outcomes) == 2
    versions = sorted(int(o.store_version[1:]) for o in outcomes.values())
    assert versions == [before + 1, before + 2] and store.version == f"v{before + 2:06d}"
    stored = rows(store, "inspections", "uscc", operating[8:10])
    assert {r["uscc"] for r in stored if r["draw_id"] == "DR-1"} == set(operating[8:10])
    for uscc, outcome in outcomes.items():
        assert outcome.rescore_problem is None
        assert [w.uscc for w in outcome.warnings] == [uscc]
    with results.engine.connect() as connection:
        kinds = connection.execute(sa.text(
            "SELECT kind, status FROM classification_runs WHERE kind = 'rescore'")).all()
    assert sorted(kinds) == [("rescore", "recorded")] * 2

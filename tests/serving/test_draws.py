"""双随机 draws over a published period of the synthetic province: counts per class, the
record, determinism, a second implementation recomputing the selection from the published
record alone, verification catching a changed target, the staffing error, the 409 of an
unpublished period, and the loop from a draw to a posted result to the next month's class."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import shutil
import sqlite3
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from features.contract import INSPECTIONS
from features.ingest import ingest
from features.store import Store
from models.policy.profiles import profile
from models.registry import LoadedModel, ModelRegistry
from serving.results.draws import DrawBook
from serving.results.store import ResultsStore
from serving.sampling.catalogue import shipped_catalogue
from serving.sampling.staffing import EXCLUSION_REASONS
from serving.use_cases import classify_period
from serving.use_cases import draw_population as sources
from serving.use_cases import draws as draws_module
from serving.use_cases.draw_population import Filters, licences_held, roster
from serving.use_cases.draw_verify import verify_draw
from serving.use_cases.draws import (
    Conflict,
    DrawRequest,
    StaffingFailed,
    cancel_draw,
    create_draw,
    list_draws,
    published_record,
    read_draw,
)
from serving.use_cases.errors import InvalidRequest
from serving.use_cases.inspections import (
    InspectionResult,
    InvalidSubmission,
    record_inspection_results,
)
from serving.use_cases.sampling_effect import draw_progress, sampling_effect, wilson
from tests.conftest import Trained

NOVEMBER, DECEMBER = dt.date(2025, 11, 30), dt.date(2025, 12, 31)
NOW = dt.datetime(2025, 12, 2, 9, 0, tzinfo=dt.UTC)
SEED = "2025138-06-11-19-23-27-31"
AUTHOR = "cli:tester"


@pytest.fixture(scope="module")
def model(trained: Trained) -> LoadedModel:
    return ModelRegistry(trained.tracking_uri).load(trained.model_uri)


@pytest.fixture(scope="module")
def published(synthetic_store: Store, model: LoadedModel,
              tmp_path_factory: pytest.TempPathFactory) -> Path:
    """November 2025 published (copied by each test); December is left to the loop test."""
    database = tmp_path_factory.mktemp("draws") / "results.db"
    results = ResultsStore(f"sqlite:///{database}").migrate()
    classify_period(synthetic_store, results, model, NOVEMBER, profile())
    results.engine.dispose()
    return database


@pytest.fixture
def results(published: Path, tmp_path: Path) -> ResultsStore:
    target = tmp_path / "results.db"
    with sqlite3.connect(published) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return ResultsStore(f"sqlite:///{target}").migrate()


def request(**changes: object) -> DrawRequest:
    values: dict = {"period": NOVEMBER, "task": "GEN", "seed": SEED,
                    "seed_source": "福彩双色球 2025138期", "drawn_on": NOW.date()}
    return DrawRequest(**(values | changes))


def draw(results: ResultsStore, store: Store, now: dt.datetime = NOW, **changes: object):
    return create_draw(results, store, profile(), shipped_catalogue(), request(**changes),
                       author=AUTHOR, now=now)


def test_a_draw_takes_the_profile_ratios_of_each_class_and_records_everything(
        results: ResultsStore, synthetic_store: Store) -> None:
    view = draw(results, synthetic_store)
    record = view.record
    sizes = record["class_sizes"]
    assert record["ratios"] == {"A": "1", "B": "2", "C": "10", "D": "30"}  # Henan's profile
    for level, ratio in zip("ABCD", (1, 2, 10, 30), strict=True):
        assert record["counts"][level] == math.ceil(Fraction(ratio, 100) * sizes[level])
        assert view.counts()[level] == record["counts"][level]
    assert sum(sizes.values()) == record["population"] == view.draw.population
    assert record["seed"] == SEED and record["seed_source"] == "given: 福彩双色球 2025138期"
    versions = record["versions"]
    assert versions["catalogue"] == shipped_catalogue().label
    assert versions["roster"] == roster(synthetic_store.pinned()).sha256
    assert versions["store"] == synthetic_store.version and versions["model"]
    assert versions["rules"] and versions["data_fingerprint"]
    assert record["author"] == AUTHOR and record["created_at"] == NOW.isoformat()
    catalogue = shipped_catalogue()
    for target in view.targets:
        assert target.items == catalogue.task("GEN").items  # every GEN item applies to all
        assert len(target.inspectors) == 2
    assert {e.reason for e in view.exclusions} <= set(EXCLUSION_REASONS)
    assert list_draws(results, NOVEMBER)[0].draw_id == view.draw_id


def test_each_target_gets_every_applicable_item_and_others_are_outside_the_population(
        results: ResultsStore, synthetic_store: Store) -> None:
    view = draw(results, synthetic_store, task="JOINT-FOOD")
    catalogue = shipped_catalogue()
    record, members = published_record(results, view.draw_id)
    assert members and all(m.items for m in members)
    assert all(set(m.items) >= {"GEN-01", "GEN-02"} for m in members)
    assert any("LABOR-01" in m.items for m in members)
    assert any("LABOR-01" not in m.items for m in members)
    assert record["joint"] is True
    for target in view.targets:
        departments = {a.department for a in target.inspectors}
        assert len(departments) >= 2, target  # 联合抽查
        for item in target.items:
            qualified = [a for a in target.inspectors if item in _qualifications(
                synthetic_store)[a.inspector_id]]
            assert qualified, (target.uscc, item)
    food = [m for m in members if "FOOD-01" in m.items]
    assert food and len(food) < len(members) and catalogue


def test_an_item_asking_for_a_licence_goes_to_its_holders_at_the_period(
        results: ResultsStore, synthetic_store: Store) -> None:
    view = draw(results, synthetic_store, task="FOOD")
    _, members = published_record(results, view.draw_id)
    held = licences_held(synthetic_store.pinned(), [m.uscc for m in members], NOVEMBER)
    licensed = {m.uscc for m in members if "FOOD-01" in m.items}  # 食品经营许可 checked
    assert licensed == {u for u, kinds in held.items() if "food_business" in kinds}
    assert licensed and len(licensed) < len(members)  # food businesses without one on record
    assert all(set(t.items) >= {"FOOD-01"} for t in view.targets if t.uscc in licensed)
    assert verify_draw(results, synthetic_store, shipped_catalogue(), view.draw_id).ok


def _qualifications(store: Store) -> dict[str, frozenset[str]]:
    return {i.inspector_id: i.qualifications for i in roster(store.pinned()).inspectors}


def test_the_same_parameters_and_seed_give_the_identical_draw(
        results: ResultsStore, published: Path, synthetic_store: Store,
        tmp_path: Path) -> None:
    first = draw(results, synthetic_store, mode="batched", batches=3)
    other = tmp_path / "other.db"
    with sqlite3.connect(published) as source, sqlite3.connect(other) as copy:
        source.backup(copy)
    second = draw(ResultsStore(f"sqlite:///{other}").migrate(), synthetic_store,
                  mode="batched", batches=3)
    assert first.draw_id == second.draw_id and first.record == second.record
    assert first.targets == second.targets
    assert {t.batch for t in first.targets} == {"1", "2", "3"}
    another_seed = draw(results, synthetic_store, seed="another committed value")
    assert {t.uscc for t in another_seed.targets} != {t.uscc for t in first.targets}


def independent_selection(record: dict, population: list[tuple[str, str, bool]]) -> set[str]:
    """The selection recomputed from the published record and population only: hashlib and
    integer arithmetic, as docs/draws.md describes it (no code of the project)."""
    drawn = set(record["forced"])
    for level in "ABCD":
        members = [(recent, hashlib.sha256(
            f"{record['seed']}|{record['task']}|{uscc}".encode()).hexdigest(), uscc)
            for uscc, cls, recent in population if cls == level and uscc not in drawn]
        size = sum(1 for _, cls, _ in population if cls == level)
        numerator, _, denominator = record["ratios"][level].partition("/")
        count = -(-int(numerator) * size // (100 * int(denominator or 1)))  # ceiling
        drawn |= {uscc for _, _, uscc in sorted(members)[:count]}
    return drawn


def test_a_second_implementation_recomputes_the_selection_from_the_published_record(
        results: ResultsStore, synthetic_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # The secure seed, fixed: a random one may draw the enterprise of 济源 whose only
    # qualified unit is excluded for it, which no roster of that prefecture can staff.
    monkeypatch.setattr(draws_module.secrets, "token_hex", lambda n: "5e" * n)
    view = draw(results, synthetic_store, seed=None, seed_source=None,
                ratios={"A": Fraction(5), "B": Fraction(15, 2), "C": Fraction(20),
                        "D": Fraction(40)})
    record, members = published_record(results, view.draw_id)
    assert len(record["seed"]) == 64 and record["seed_source"] == "secrets.token_hex(32)"
    assert record["ratios"]["B"] == "15/2"
    population = [(m.uscc, m.risk_level, m.recent) for m in members]
    assert independent_selection(record, population) == {t.uscc for t in view.targets}
    digest = hashlib.sha256("".join(
        f"{m.uscc}|{m.risk_level}|{int(m.recent)}|{';'.join(m.items)}\n"
        for m in sorted(members, key=lambda m: m.uscc)).encode()).hexdigest()
    assert digest == record["population_sha256"]


def test_a_budget_is_allocated_in_proportion_and_never_below_the_floors(
        results: ResultsStore, synthetic_store: Store) -> None:
    floors = draw(results, synthetic_store).record["counts"]
    budget = sum(floors.values()) + 40
    view = draw(results, synthetic_store, budget=budget, mode="per-class")
    counts = view.record["counts"]
    assert sum(counts.values()) == budget
    assert all(counts[c] >= floors[c] for c in "ABCD")
    assert {t.batch for t in view.targets} <= set("ABCD")
    with pytest.raises(InvalidRequest, match=r"short"):
        draw(results, synthetic_store, budget=sum(floors.values()) - 1)


def test_the_key_list_is_drawn_apart_and_recently_inspected_enterprises_wait(
        results: ResultsStore, synthetic_store: Store) -> None:
    first = draw(results, synthetic_store)
    _, members = published_record(results, first.draw_id)
    forced = next(m.uscc for m in members if m.uscc not in {t.uscc for t in first.targets})
    second = draw(results, synthetic_store, forced={forced: "complaint 12315-0042 (触发式)"},
                  seed="second campaign", now=NOW + dt.timedelta(hours=1))
    keyed = [t for t in second.targets if t.part == "key"]
    assert [(t.uscc, t.batch, t.reason) for t in keyed] == [
        (forced, "K", "complaint 12315-0042 (触发式)")]
    assert second.counts("random") == first.record["counts"]
    _, again = published_record(results, second.draw_id)
    recent = {m.uscc for m in again if m.recent}
    assert {t.uscc for t in first.targets} <= recent  # drawn within the window
    for level in "ABCD":
        fresh = [m for m in again if m.risk_level == level and not m.recent]
        drawn = [t for t in second.targets if t.risk_level == level and t.part == "random"]
        if len(fresh) >= len(drawn):
            assert all(t.uscc not in recent for t in drawn), level
    with pytest.raises(InvalidRequest, match="not in the task's population"):
        draw(results, synthetic_store, forced={"91350200776049653A": "not here"})


def test_an_inspector_who_inspected_a_target_is_kept_away_for_the_window_only(
        results: ResultsStore, synthetic_store: Store, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """回避 reads the inspections table: the inspectors who inspected an enterprise (by
    another sampling system, so no draw of this one knows it) are never assigned to it within
    the avoidance window, the exclusion is recorded, and once the inspection is older than the
    window they are assigned exactly as if it had never happened; verify recomputes both."""
    store = Store(tmp_path / "store")
    shutil.copytree(synthetic_store.root, store.root)
    later = NOW.date() + relativedelta(months=1, days=1)
    window = {"recent_months": 0, "avoid_months": 1}  # the same population every time
    baseline = draw(results, store, drawn_on=later, **window)
    target = baseline.targets[0]
    team = {a.inspector_id for a in target.inspectors}
    cancel_draw(results, baseline.draw_id, "the test's baseline", AUTHOR,
                now=NOW + dt.timedelta(minutes=1))
    inspected = tmp_path / "inspections-elsewhere.parquet"
    pq.write_table(pa.Table.from_pylist([{
        "draw_id": "SJ-2025-1107", "uscc": target.uscc,
        "inspected_on": NOW.date() - dt.timedelta(days=5), "items": ["登记事项"],
        "result": "no_problem", "department": "市场监督管理局",
        "inspector_ids": sorted(team)}], schema=INSPECTIONS.arrow_schema()), inspected)
    assert ingest([inspected], store, today=NOW.date()).tables["inspections"].inserted == 1

    within = draw(results, store, now=NOW + dt.timedelta(hours=2), **window)
    [kept] = [t for t in within.targets if t.uscc == target.uscc]
    assert len(kept.inspectors) == 2 and not team & {a.inspector_id for a in kept.inspectors}
    assert {(e.inspector_id, e.reason) for e in within.exclusions
            if e.uscc == target.uscc} >= {(i, "inspected_recently") for i in team}
    assert verify_draw(results, store, shipped_catalogue(), within.draw_id).ok
    # its own results, inspected the day it was drawn, come back; the store moves on (the
    # version it read is pruned): verify still recomputes the same inspectors
    own = tmp_path / "inspections-own.parquet"
    pq.write_table(pa.Table.from_pylist([{
        "draw_id": within.draw_id, "uscc": t.uscc, "inspected_on": NOW.date(),
        "items": list(t.items), "result": "no_problem", "department": "市场监督管理局",
        "inspector_ids": [a.inspector_id for a in t.inspectors]} for t in within.targets],
        schema=INSPECTIONS.arrow_schema()), own)
    read = store.version
    ingest([own], store, today=NOW.date())
    pq.write_table(pa.Table.from_pylist([{**pq.read_table(inspected).to_pylist()[0],
                                          "draw_id": "SJ-2025-1108"}],
                                        schema=INSPECTIONS.arrow_schema()), inspected)
    ingest([inspected], store, today=NOW.date())
    assert not (store.root / read).exists()
    assert verify_draw(results, store, shipped_catalogue(), within.draw_id).ok

    outside = draw(results, store, drawn_on=later, now=NOW + dt.timedelta(hours=3), **window)
    [again] = [t for t in outside.targets if t.uscc == target.uscc]
    assert {a.inspector_id for a in again.inspectors} == team
    assert not [e for e in outside.exclusions if e.uscc == target.uscc
                and e.inspector_id in team and e.reason == "inspected_recently"]
    assert outside.targets == baseline.targets
    assert verify_draw(results, store, shipped_catalogue(), outside.draw_id).ok

    # a draw of record format 1, made before 回避 read the inspections, verifies as it was made
    for made in (within, outside):
        cancel_draw(results, made.draw_id, "the test's", AUTHOR,
                    now=NOW + dt.timedelta(hours=3, minutes=30))
    with monkeypatch.context() as patch:
        patch.setattr(draws_module, "RECORD_FORMAT", "ecr-draw/1")
        patch.setattr(sources, "avoided_pairs",
                      functools.partial(sources.avoided_pairs, inspections=False))
        older = draw(results, store, now=NOW + dt.timedelta(hours=4), **window)
    assert older.record["format"] == "ecr-draw/1" and within.record["format"] == "ecr-draw/2"
    [unaware] = [t for t in older.targets if t.uscc == target.uscc]
    assert team & {a.inspector_id for a in unaware.inspectors}  # what format 2 forbids
    assert verify_draw(results, store, shipped_catalogue(), older.draw_id).ok


def test_a_draw_on_an_unpublished_period_is_refused(
        results: ResultsStore, synthetic_store: Store) -> None:
    with pytest.raises(Conflict, match="no classification is published for 2025-12-31"):
        draw(results, synthetic_store, period=DECEMBER)


def test_an_infeasible_roster_names_the_targets_it_cannot_staff(
        results: ResultsStore, synthetic_store: Store) -> None:
    with pytest.raises(StaffingFailed) as caught:
        draw(results, synthetic_store, per_target=10, workload_cap=1)
    assert caught.value.targets and "cannot be staffed" in str(caught.value)
    assert caught.value.targets[0] in str(caught.value)
    assert DrawBook(results.engine).of_period(NOVEMBER) == []  # nothing stored


def test_verify_passes_and_then_detects_a_changed_target(
        results: ResultsStore, synthetic_store: Store) -> None:
    view = draw(results, synthetic_store)
    report = verify_draw(results, synthetic_store, shipped_catalogue(), view.draw_id)
    assert report.ok, report.checks
    _, members = published_record(results, view.draw_id)
    outsider = next(m for m in members if m.uscc not in {t.uscc for t in view.targets})
    swapped = view.targets[0]
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), \
            results.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE draw_targets SET uscc = 'X'")
    with results.engine.begin() as connection:  # what an attacker with the file could do
        connection.exec_driver_sql("DROP TRIGGER draw_targets_no_UPDATE")
        connection.execute(sa.text("UPDATE draw_targets SET uscc = :new WHERE draw_id = :d "
                                   "AND uscc = :old"),
                           {"new": outsider.uscc, "d": view.draw_id, "old": swapped.uscc})
    report = verify_draw(results, synthetic_store, shipped_catalogue(), view.draw_id)
    assert not report.ok
    failed = {c.name: c.detail for c in report.checks if not c.ok}
    assert "targets" in failed
    assert swapped.uscc in failed["targets"] and outsider.uscc in failed["targets"]


def test_cancelling_needs_a_reason_keeps_the_draw_and_happens_once(
        results: ResultsStore, synthetic_store: Store) -> None:
    view = draw(results, synthetic_store)
    with pytest.raises(InvalidRequest, match="reason"):
        cancel_draw(results, view.draw_id, " ", AUTHOR)
    cancel_draw(results, view.draw_id, "drawn on the wrong task", AUTHOR)
    with pytest.raises(Conflict, match="cancelled already"):
        cancel_draw(results, view.draw_id, "again", AUTHOR)
    again = read_draw(results, view.draw_id)
    assert again.status == "cancelled" and again.targets == view.targets
    assert again.cancellation.reason == "drawn on the wrong task"


def test_the_loop_from_draw_to_posted_result_to_the_next_months_class(
        results: ResultsStore, synthetic_store: Store, model: LoadedModel,
        tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    shutil.copytree(synthetic_store.root, store.root)
    view = draw(results, store, task="FOOD")
    low = [t for t in view.targets if t.risk_level in "AB"]
    assert low, "the draw has no class A or B food business"
    inspected_on, today = dt.date(2025, 12, 10), dt.date(2025, 12, 15)
    submissions = [InspectionResult(uscc=t.uscc, inspected_on=inspected_on, items=t.items,
                                    result="problem_found", department="市场监督管理局",
                                    draw_id=view.draw_id) for t in low]
    record_inspection_results(store, results, model, profile(), submissions, today=today,
                              wait=120)
    progress = draw_progress(results, store, shipped_catalogue(), view.draw_id)
    assert progress.done == len(low)
    assert all(p.routed_to == ("SCJG",) for p in progress.targets
               if p.result == "problem_found")
    effect = {(r.prefecture, r.risk_level): r for r in sampling_effect(results, store, NOVEMBER)}
    for level in "AB":
        row = effect["all", level]
        found = sum(t.risk_level == level for t in low)
        assert row.problems == row.inspected == found
        if found:
            assert row.rate == 1.0 and row.low == pytest.approx(wilson(found, found)[0])
    classify_period(store, results, model, DECEMBER, profile())
    december = results.published_results(DECEMBER, ("uscc", "risk_level")).to_pydict()
    classes = dict(zip(december["uscc"], december["risk_level"], strict=True))
    raised = Counter(classes[t.uscc] >= "C" for t in low)
    assert raised[True] == len(low), raised  # the high-concern floor: at least C


def test_wilson_interval_matches_known_values() -> None:
    low, high = wilson(81, 263)
    assert low == pytest.approx(0.2553, abs=1e-4) and high == pytest.approx(0.3662, abs=1e-4)
    assert wilson(0, 0) is None and wilson(0, 10)[0] == 0.0


def test_filters_narrow_the_population(results: ResultsStore, synthetic_store: Store) -> None:
    everyone = draw(results, synthetic_store).record["population"]
    view = draw(results, synthetic_store, filters=Filters(sections=("F",)))
    assert 0 < view.record["population"] < everyone
    assert view.record["filters"]["sections"] == ["F"]
    for filters, name in ((Filters(sections=("Z",)), "sections"),
                          (Filters(divisions=("F99",)), "divisions"),
                          (Filters(domain_tags=("tobacco",)), "domain_tags"),
                          (Filters(enterprise_types=("llc",)), "enterprise_types"),
                          (Filters(region="4a"), "region")):
        with pytest.raises(InvalidRequest, match=name):
            draw(results, synthetic_store, filters=filters)


def test_results_naming_a_draw_must_be_its_targets(
        results: ResultsStore, synthetic_store: Store, model: LoadedModel,
        tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    shutil.copytree(synthetic_store.root, store.root)
    view = draw(results, store)
    _, members = published_record(results, view.draw_id)
    outsider = next(m.uscc for m in members if m.uscc not in {t.uscc for t in view.targets})
    target = view.targets[0]

    def post(uscc: str, draw_id: str) -> None:
        record_inspection_results(store, results, model, profile(), [InspectionResult(
            uscc=uscc, inspected_on=dt.date(2025, 12, 10), items=target.items,
            result="no_problem", department="市场监督管理局", draw_id=draw_id)],
            today=dt.date(2025, 12, 15), wait=60)

    before = store.version
    with pytest.raises(InvalidSubmission) as caught:
        post(outsider, view.draw_id)
    assert [(e.field, e.found) for e in caught.value.errors] == [("uscc", outsider)]
    with pytest.raises(InvalidSubmission, match="a draw of this service"):
        post(target.uscc, "DRW-20251130-000000000000")
    cancel_draw(results, view.draw_id, "wrong task", AUTHOR)
    with pytest.raises(InvalidSubmission, match="cancelled"):
        post(target.uscc, view.draw_id)
    assert store.version == before  # nothing was recorded

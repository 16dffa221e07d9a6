"""Retention on SQLite and PostgreSQL: keeping the newest N published periods removes the older
ones with their superseded runs and rescores, keeps a period a draw was made from, disposed
warnings and each removed publication's run record; the counts reconcile; on PostgreSQL the
month's partitions are dropped, not deleted from."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
import sqlalchemy as sa

from serving.results import partitions
from serving.results.draws import DrawBook, DrawRow, PopulationRow, TargetRow
from serving.results.retention import COUNTED
from serving.results.rows import RegionRisk, StoredWarning
from serving.results.schema import RESULT_SCHEMA, results, runs
from serving.results.store import ResultsStore
from serving.use_cases import InvalidRequest, prune_periods

SEP, OCT, NOV, DEC = (dt.date(2025, 9, 30), dt.date(2025, 10, 31), dt.date(2025, 11, 30),
                      dt.date(2025, 12, 31))
RESCORE = dt.date(2025, 10, 15)
CODES = [f"91410100MA{i:08d}" for i in range(1, 41)]
NOW = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


def batch(period: dt.date, codes: list[str], shift: float = 0.0) -> pa.Table:
    rows = []
    for i, uscc in enumerate(codes):
        score = (i * 97 + shift) % 1000
        level = "ABCD"[sum(score >= cut for cut in (200, 500, 750))]
        rows.append({name: None for name in RESULT_SCHEMA.names} | {
            "uscc": uscc, "period": period, "model_score": score, "final_score": score,
            "model_level": level, "risk_level": level, "class_label": level,
            "fired_rules": "", "base_points": 301.5, "prefecture": "410100",
            "county": "410102", "industry_section": "C", "input_fingerprint": "f" * 32,
            "model_version": "m/1", "rules_version": "r1"})
    return pa.Table.from_pylist(rows, schema=RESULT_SCHEMA)


def classify(store: ResultsStore, period: dt.date, kind: str = "monthly",
             codes: list[str] = CODES, shift: float = 0.0) -> str:
    run_id = store.begin_run(period, kind, "models:/m", "m/1", "r1", "henan", "sha256:x",
                             "v1")
    store.write_results(run_id, batch(period, codes, shift))
    store.write_feature_snapshot(run_id, pa.table({"uscc": codes,
                                                   "age_years": [1.0] * len(codes)}))
    store.write_warnings(run_id, [StoredWarning(
        uscc, period, 3, "检查", "inspect", ("became_d",), "B", "D") for uscc in codes[:3]])
    store.write_region_risk(run_id, [RegionRisk(period, "county", "410102", "C", len(codes),
                                                0.25, 400.0, None, None, False)])
    if kind == "rescore":
        store.finish(run_id)
    else:
        store.publish(run_id)
    return run_id


def draw_on(store: ResultsStore, run_id: str, period: dt.date) -> None:
    draw = DrawRow("DRW-20250930-000000000001", period, run_id, "GEN", "combined", None,
                   NOW.date(), NOW, "cli:test", 1, 1, "0" * 64, "{}", "1" * 64)
    DrawBook(store.engine).write(
        draw, [PopulationRow(CODES[0], "C", False, "GEN-01")],
        [TargetRow(CODES[0], "C", "410102", "random", None, "1", 1, "2" * 64, "GEN-01")],
        [], [])


@pytest.fixture
def four_months(database_url: str) -> tuple[ResultsStore, dict[str, str]]:
    store = ResultsStore(database_url).migrate()
    made = {"sep": classify(store, SEP), "oct-old": classify(store, OCT, shift=5),
            "oct": classify(store, OCT, shift=9), "rescore": classify(
                store, RESCORE, "rescore", CODES[:10]), "nov": classify(store, NOV),
            "dec": classify(store, DEC, shift=3)}
    draw_on(store, made["sep"], SEP)
    store.record_disposition(made["oct"], OCT, CODES[0], "handled", "inspected", "市场监管",
                             None, None, NOW)
    yield store, made
    store.engine.dispose()


def statuses(store: ResultsStore) -> dict[str, str]:
    with store.engine.connect() as connection:
        return dict(connection.execute(sa.select(runs.c.run_id, runs.c.status)).all())


def test_prune_keeps_the_newest_drawn_and_disposed_and_reconciles(four_months) -> None:
    store, made = four_months
    trial = prune_periods(store, 2, dry_run=True)
    assert trial.dry_run and trial.after == trial.before
    assert store.periods() == [SEP, OCT, NOV, DEC]  # a dry run changes nothing

    pruning = prune_periods(store, 2)
    assert pruning.kept == [NOV, DEC]
    assert list(pruning.held) == [SEP] and "draw" in pruning.held[SEP]
    assert [(r.period, sorted(r.run_ids), r.published) for r in pruning.removals] == [
        (RESCORE, [made["rescore"]], False),
        (OCT, sorted([made["oct-old"], made["oct"]]), True)]
    assert [r.counts for r in pruning.removals] == [r.counts for r in trial.removals]
    [rescore, october] = pruning.removals
    assert rescore.counts == {"results": 10, "feature_rows": 10, "warnings": 3,
                              "region_cells": 1, "analyses": 0}
    assert october.counts == {"results": 80, "feature_rows": 80, "warnings": 5,
                              "region_cells": 2, "analyses": 0}
    assert october.warnings_kept == 1  # the disposed one
    for what in COUNTED:
        assert pruning.after[what] == pruning.before[what] - pruning.removed(what), what

    assert store.periods() == [SEP, NOV, DEC]
    assert [e.result.period for e in store.history(CODES[5])] == [SEP, NOV, DEC]
    assert store.results_of(made["oct"]).num_rows == 0
    assert store.feature_row(made["oct"], CODES[5]) is None
    assert store.feature_row(made["sep"], CODES[5]) is not None
    assert [w.uscc for w in store.warnings_of(made["oct"])] == [CODES[0]]
    assert [d.uscc for d in store.dispositions(OCT, CODES[0])] == [CODES[0]]
    found = statuses(store)
    assert found[made["oct"]] == "retired"  # the record of what was published stays
    assert made["oct-old"] not in found and made["rescore"] not in found
    assert found[made["sep"]] == found[made["nov"]] == "published"
    with store.engine.connect() as connection:
        if partitions.is_partitioned(connection):
            assert pruning.dropped == {dt.date(2025, 10, 1): [
                "results_y2025m10", "feature_snapshots_y2025m10"]}
            assert dt.date(2025, 10, 1) not in partitions.months(connection, results)
        else:
            assert pruning.dropped == {}

    again = prune_periods(store, 2)
    assert again.removals == [] and again.after == pruning.after
    classify(store, OCT, shift=1)  # the month can be written again (its partition re-made)
    assert store.periods() == [SEP, OCT, NOV, DEC]


def test_prune_keeps_everything_when_fewer_periods_and_refuses_bad_counts(
        four_months) -> None:
    store, _ = four_months
    assert prune_periods(store, 4).removals == []
    assert store.periods() == [SEP, OCT, NOV, DEC]
    for bad in (0, -1, True, "2", None):
        with pytest.raises(InvalidRequest, match="keep: expected"):
            prune_periods(store, bad)


def test_a_month_that_keeps_a_run_is_deleted_from_not_dropped(database_url: str) -> None:
    store = ResultsStore(database_url).migrate()
    october = classify(store, OCT)
    rescore = classify(store, dt.date(2025, 11, 15), "rescore")  # November keeps its period
    classify(store, NOV)
    classify(store, DEC)
    pruning = prune_periods(store, 2)
    assert [r.run_ids for r in pruning.removals] == [[october], [rescore]]
    with store.engine.connect() as connection:
        partitioned = partitions.is_partitioned(connection)
        if partitioned:
            assert partitions.months(connection, results) == [dt.date(2025, 11, 1),
                                                              dt.date(2025, 12, 1)]
    assert pruning.dropped == ({dt.date(2025, 10, 1): ["results_y2025m10",
                                                       "feature_snapshots_y2025m10"]}
                               if partitioned else {})
    assert pruning.after["results"] == 2 * len(CODES) == pruning.before["results"] - len(
        CODES) * 2
    assert store.periods() == [NOV, DEC]
    store.engine.dispose()

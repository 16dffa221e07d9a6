"""The results store on SQLite and PostgreSQL: migrations, atomic publication, clean-up."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pyarrow as pa
import pytest
import sqlalchemy as sa

from serving.monthly.batch import RESULT_SCHEMA
from serving.results.schema import leases
from serving.results.store import ResultsStore

PERIOD = dt.date(2025, 12, 31)


def result_rows(count: int, score: float, start: int = 0) -> pa.Table:
    columns: dict[str, list[object]] = {name: [None] * count for name in RESULT_SCHEMA.names}
    columns |= {
        "uscc": [f"91410100MA{i:08d}" for i in range(start, start + count)],
        "period": [PERIOD] * count, "model_score": [score] * count,
        "final_score": [score + 0.5] * count, "model_level": ["B"] * count,
        "risk_level": ["B"] * count, "class_label": ["B"] * count,
        "fired_rules": ["" if i % 2 else "abnormal_operation_list" for i in range(count)],
        "base_points": [300.0] * count, "factor_up_1": ["penalties_12m"] * count,
        "points_up_1": [12.25] * count, "prefecture": ["410100"] * count,
        "industry_section": ["F"] * count, "input_fingerprint": ["0" * 32] * count,
        "model_version": ["m/1"] * count, "rules_version": ["r1"] * count,
    }
    return pa.table(columns, schema=RESULT_SCHEMA)


def begin(store: ResultsStore, period: dt.date = PERIOD) -> str:
    return store.begin_run(period, "monthly", "models:/m@champion", "m/1", "r1", "henan",
                           "sha256:data", "v1")


def test_migrations_create_the_schema_once(database_url: str) -> None:
    store = ResultsStore(database_url).migrate()
    store.migrate()  # idempotent
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {"classification_runs", "results", "publications", "warnings", "period_analysis",
            "region_risk", "warning_dispositions", "alembic_version"} <= tables


def test_readers_see_the_old_period_until_the_new_one_is_published(database_url: str) -> None:
    store = ResultsStore(database_url).migrate()
    first = begin(store)
    store.write_results(first, result_rows(10, 100.0))
    store.publish(first)
    second = begin(store)
    store.write_results(second, result_rows(6, 700.0))
    during = store.published_results(PERIOD)
    assert during.num_rows == 10 and set(during["model_score"].to_pylist()) == {100.0}
    store.write_results(second, result_rows(6, 700.0, start=6))
    store.publish(second)
    after = store.published_results(PERIOD)
    assert after.num_rows == 12 and set(after["model_score"].to_pylist()) == {700.0}
    assert store.run(first).status == "superseded" and store.run(second).rows == 12


def test_an_abandoned_run_is_discarded_by_the_next(database_url: str) -> None:
    store = ResultsStore(database_url).migrate()
    published = begin(store)
    store.write_results(published, result_rows(5, 100.0))
    store.publish(published)
    abandoned = begin(store)
    store.write_results(abandoned, result_rows(3, 900.0))
    with store.engine.begin() as connection:  # its writer dies
        connection.execute(leases.update().values(pid=dead_pid()))
    assert store.discard_unpublished(PERIOD) == 3
    with pytest.raises(sa.exc.NoResultFound):
        store.run(abandoned)
    assert store.published_results(PERIOD).num_rows == 5


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_values_round_trip(database_url: str) -> None:
    store = ResultsStore(database_url).migrate()
    run = begin(store)
    rows = result_rows(4, 123.456789012345)
    store.write_results(run, rows)
    stored = store.results_of(run)
    assert stored["model_score"].to_pylist() == [123.456789012345] * 4
    assert stored["fired_rules"].to_pylist() == ["abnormal_operation_list", "",
                                                 "abnormal_operation_list", ""]
    assert stored["factor_down_1"].to_pylist() == [None] * 4
    assert stored["period"].to_pylist() == [PERIOD] * 4


def test_unknown_period_is_a_clear_error(database_url: str) -> None:
    store = ResultsStore(database_url).migrate()
    with pytest.raises(LookupError, match="no classification is published for 2025-12-31"):
        store.published_results(PERIOD)

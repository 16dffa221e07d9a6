"""Migration 0009 on SQLite and PostgreSQL: a store at 0008 holding two months of results and
feature snapshots upgrades (period in the keys, the snapshots' period filled from their runs,
on PostgreSQL partitioned by month with a partition per month holding a run), reads the same,
and every query of the index plan uses its index (on PostgreSQL only the run's month is read);
the downgrade puts the old tables back with the same rows."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
import sqlalchemy as sa

from serving.results import partitions
from serving.results.feature_snapshots import chunks
from serving.results.plans import LOOKUPS, Sample, explain, pg_index_names
from serving.results.schema import RESULT_SCHEMA, feature_snapshots, results
from serving.results.store import ResultsStore
from tests.serving.test_migration_0004 import migrate

NOW = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
RUNS = {"run-nov": dt.date(2025, 11, 30), "run-dec": dt.date(2025, 12, 31),
        "run-dec-old": dt.date(2025, 12, 31)}
CODES = [f"91410100MA{i:08d}" for i in range(1, 6)]


def result_row(run_id: str, uscc: str, index: int) -> dict[str, object]:
    row: dict[str, object] = {name: None for name in RESULT_SCHEMA.names}
    level = "ABCD"[index % 4]
    row |= {"run_id": run_id, "uscc": uscc, "period": RUNS[run_id],
            "model_score": index % 1000, "final_score": index % 1000 + 1.0,
            "model_level": level, "risk_level": level, "class_label": level,
            "fired_rules": "", "base_points": 301.5, "prefecture": "410100",
            "county": "410102", "industry_section": "C", "industry_division": "C13",
            "domain_tags": "", "input_fingerprint": "f" * 32, "model_version": "m/1",
            "rules_version": "r1"}
    return row


def seed_0008(store: ResultsStore, rows: int = 5) -> None:
    codes = [f"91410100MA{i:08d}" for i in range(1, rows + 1)]
    with store.engine.begin() as connection:
        for run_id, period in RUNS.items():
            connection.execute(sa.text(
                "INSERT INTO classification_runs (run_id, period, kind, status, model_uri, "
                "model_version, rules_version, profile, data_fingerprint, store_version, "
                "rows, started_at) VALUES (:run, :period, 'monthly', :status, 'models:/m', "
                "'m/1', 'r1', 'henan', 'sha256:x', 'v1', 5, :now)"),
                {"run": run_id, "period": period, "now": NOW,
                 "status": "superseded" if run_id == "run-dec-old" else "published"})
            connection.execute(sa.insert(results), [
                result_row(run_id, uscc, i) for i, uscc in enumerate(codes)])
            features = pa.table({"uscc": codes,
                                 "age_years": [float(i) for i in range(rows)]})
            for chunk in chunks(features, rows=2):
                connection.execute(sa.text(
                    "INSERT INTO feature_snapshots (run_id, first_uscc, last_uscc, rows, "
                    "features) VALUES (:run, :first, :last, :rows, :features)"),
                    {"run": run_id, "first": chunk.first_uscc, "last": chunk.last_uscc,
                     "rows": chunk.rows, "features": chunk.features})
        for run_id in ("run-nov", "run-dec"):
            connection.execute(sa.text(
                "INSERT INTO publications VALUES (:period, :run, :now)"),
                {"period": RUNS[run_id], "run": run_id, "now": NOW})
            connection.execute(sa.text(
                "INSERT INTO warnings VALUES (:run, :uscc, :period, 3, '检查', 'inspect', "
                "'became_d', 'B', 'D')"),
                {"run": run_id, "uscc": CODES[3], "period": RUNS[run_id]})
            connection.execute(sa.text(
                "INSERT INTO region_risk VALUES (:run, 'county', '410102', 'C', :period, 5, "
                "0.4, 250.0, NULL, NULL, :high)"),
                {"run": run_id, "period": RUNS[run_id], "high": True})


def contents(store: ResultsStore) -> dict[str, list[tuple]]:
    with store.engine.connect() as connection:
        found = {}
        for table, key in (("results", "run_id, uscc"), ("feature_snapshots",
                                                          "run_id, first_uscc")):
            names = [c.name for c in sa.Table(table, sa.MetaData(),
                                              autoload_with=connection).columns
                     if c.name != "period" or table == "results"]
            found[table] = [tuple(str(v) if isinstance(v, dt.date | bytes | memoryview)
                                  else v for v in row)
                            for row in connection.execute(sa.text(
                                f"SELECT {', '.join(sorted(names))} FROM {table} "
                                f"ORDER BY {key}"))]
    return found


def keys(store: ResultsStore) -> dict[str, list[str]]:
    inspector = sa.inspect(store.engine)
    return {t: inspector.get_pk_constraint(t)["constrained_columns"]
            for t in ("results", "feature_snapshots")}


def partitioned(store: ResultsStore) -> dict[str, list[dt.date]]:
    with store.engine.connect() as connection:
        if not partitions.is_partitioned(connection):
            return {}
        return {t.name: partitions.months(connection, t) for t in partitions.PARTITIONED}


def test_0009_keys_partitions_and_downgrades_with_data(database_url: str) -> None:
    store = ResultsStore(database_url)
    migrate(store, "0008")
    seed_0008(store)
    before = contents(store)
    assert keys(store) == {"results": ["run_id", "uscc"],
                           "feature_snapshots": ["run_id", "first_uscc"]}

    migrate(store, "0009")
    assert keys(store) == {t.name: [c.name for c in t.primary_key.columns]
                           for t in (results, feature_snapshots)}
    assert contents(store) == before
    with store.engine.connect() as connection:
        filled = dict(connection.execute(sa.select(feature_snapshots.c.run_id,
                                                   feature_snapshots.c.period).distinct()).all())
    assert filled == RUNS
    postgres = store.engine.dialect.name == "postgresql"
    months = [dt.date(2025, 11, 1), dt.date(2025, 12, 1)]
    assert partitioned(store) == ({"results": months, "feature_snapshots": months}
                                  if postgres else {})
    indexes = {i["name"] for i in sa.inspect(store.engine).get_indexes("results")}
    assert {"ix_results_uscc_period", "ix_results_run_county", "ix_results_run_level"} <= indexes

    assert [e.result.period for e in store.history(CODES[2])] == [RUNS["run-nov"],
                                                                  RUNS["run-dec"]]
    assert store.feature_row("run-dec", CODES[4])["age_years"].to_pylist() == [4.0]
    assert [r.uscc for r in store.result_page("run-nov", CODES[0], 2)] == CODES[1:3]

    migrate(store, "0008", down=True)
    assert keys(store) == {"results": ["run_id", "uscc"],
                           "feature_snapshots": ["run_id", "first_uscc"]}
    assert "period" not in {c["name"] for c in
                            sa.inspect(store.engine).get_columns("feature_snapshots")}
    assert partitioned(store) == {}
    assert contents(store) == before
    store.migrate()
    assert contents(store) == before
    store.engine.dispose()


@pytest.mark.parametrize("lookup", LOOKUPS, ids=lambda lookup: lookup.index + ":"
                         + lookup.query.split(" (")[0].replace(" ", "_"))
def test_each_query_of_the_plan_uses_its_index(database_url: str, lookup) -> None:
    store = ResultsStore(database_url)
    migrate(store, "0008")
    seed_0008(store, rows=3000)
    store.migrate()
    if store.engine.dialect.name == "postgresql":
        with store.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")  # the planner sees the run's 3,000 rows
    plan = explain(store, lookup, Sample("run-nov", RUNS["run-nov"], CODES[3]),
                   no_seqscan=True)
    used = {n for index in (lookup.index, *lookup.also)
            for n in pg_index_names(store.engine, index)}
    if store.engine.dialect.name == "sqlite":  # a composite primary key's own index
        used = {f"sqlite_autoindex_{lookup.table}_1" if n.endswith("_pkey") else n
                for n in used}
    assert any(f"{name} " in f"{plan} " or f"{name}\n" in plan for name in used), plan
    assert f"Seq Scan on {lookup.table}" not in plan, plan  # its partitions included
    assert f"SCAN {lookup.table} " not in plan.replace(" USING ", "@"), plan
    if lookup.ordered:  # the index gives the order: no sort of the run's rows
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan
    if store.engine.dialect.name == "postgresql" and lookup.per_run and lookup.table in {
            t.name for t in partitions.PARTITIONED}:
        assert "y2025m11" in plan and "y2025m12" not in plan, plan  # one month read
    store.engine.dispose()

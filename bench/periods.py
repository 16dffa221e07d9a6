"""Results over years: database size and the service's query latency at 1 and at 24 monthly
periods, in the same run (docs/results-database.md).

    PYTHONPATH=. python bench/periods.py [--enterprises 1000000] [--periods 24] [--calls 300]
        [--database-url postgresql+psycopg://…] [--work DIR] [--plans]

The newest period is written through the store as a classification run writes it (results
in 50,000-row batches, COPY on PostgreSQL; feature snapshots; warnings for 3 % of the
enterprises; county and prefecture × industry cells) from synthetic result rows
(`service_reads.result_batch`: realistic codes, regions, industries, domains, classes and
factors; no model, since reads do not care how rows were scored) and synthetic feature rows
(`FEATURES` columns, counts and amounts, ~330 bytes an enterprise in a snapshot as the real
356 features take). The service's queries are timed on it; then the older periods are cloned
from it with INSERT … SELECT under their own runs (each begun through the store, so on
PostgreSQL its month's partition is created), scores shifted by −20…+20 points per
enterprise and period (classes follow), and the queries timed again on the newest period,
beside the first figures. On PostgreSQL the tables go into a schema of their own
(``--schema``, recreated).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import sqlalchemy as sa
from service_reads import COUNTIES, SECTIONS, result_batch

from serving.results import partitions
from serving.results.plans import LOOKUPS, Sample, explain
from serving.results.rows import RegionRisk, StoredWarning
from serving.results.schema import results as results_table
from serving.results.store import ResultsStore
from serving.use_cases import (
    WHOLE_PROVINCE,
    classification_csv,
    classification_page,
    enterprise_history,
    period_region_risk,
    period_warnings,
    stored_explanation,
)

BATCH = 50_000
FEATURES = 150
NEWEST = dt.date(2025, 12, 31)


def month_ends(newest: dt.date, count: int) -> list[dt.date]:
    """``count`` month ends, newest first."""
    found, day = [], newest
    for _ in range(count):
        found.append(day)
        day = day.replace(day=1) - dt.timedelta(days=1)
    return found


def features(start: int, count: int, rng: np.random.Generator) -> pa.Table:
    """Feature rows like the real ones: mostly small counts and flags, a few amounts."""
    columns: dict[str, object] = {"uscc": [f"91410100MA{i:08d}" for i in
                                           range(start, start + count)]}
    for j in range(FEATURES):
        if j % 3 == 0:
            columns[f"f{j}"] = np.round(rng.lognormal(3, 1.5, count), 2)
        else:
            columns[f"f{j}"] = rng.poisson(0.3, count).astype(np.float64)
    return pa.table(columns)


def write_newest(store: ResultsStore, period: dt.date, enterprises: int) -> str:
    rng = np.random.default_rng(7)
    run = store.begin_run(period, "monthly", "models:/bench", "bench/1", "r1", "henan",
                          "sha256:bench", "v1")
    warned: list[StoredWarning] = []
    for start in range(0, enterprises, BATCH):
        count = min(BATCH, enterprises - start)
        batch = result_batch(period, start, count, rng)
        store.write_results(run, batch)
        store.write_feature_snapshot(run, features(start, count, rng))
        picked = np.flatnonzero(rng.random(count) < 0.03)
        levels = batch["risk_level"].to_pylist()
        codes = batch["uscc"].to_pylist()
        warned += [StoredWarning(codes[i], period, int(rng.integers(1, 5)), "检查", "inspect",
                                 ("became_d",), "B", levels[i]) for i in picked]
    store.write_warnings(run, warned)
    cells = [RegionRisk(period, "county", county, section, 100, 0.1, 300.0, None, None,
                        False) for county in COUNTIES for section in SECTIONS]
    cells += [RegionRisk(period, "prefecture", county[:4] + "00", section, 1000, 0.1, 300.0,
                         None, None, False)
              for county in sorted({c[:4] for c in COUNTIES}) for section in SECTIONS]
    store.write_region_risk(run, cells)
    store.publish(run)
    return run


def clone(store: ResultsStore, base: str, period: dt.date, k: int) -> str:
    """Another period made from ``base`` under its own run: scores shifted per enterprise."""
    run = store.begin_run(period, "monthly", "models:/bench", "bench/1", "r1", "henan",
                          "sha256:bench", "v1")
    base_period = store.period_of(base)
    shift = f"((CAST(substr(uscc, 11, 8) AS INTEGER) * {7 * k + 3}) % 41) - 20"
    score = f"CASE WHEN final_score + {shift} < 0 THEN 0.0 WHEN final_score + {shift} > 1000 " \
            f"THEN 1000.0 ELSE final_score + {shift} END"
    level = "CASE WHEN s < 400 THEN 'A' WHEN s < 600 THEN 'B' WHEN s < 800 THEN 'C' ELSE 'D' END"
    names = [c.name for c in results_table.columns]
    chosen = {"run_id": ":run", "period": ":period", "model_score": "s", "final_score": "s",
              "model_level": level, "risk_level": level, "class_label": level}
    values = {"run": run, "period": period, "base": base, "base_period": base_period}
    with store.engine.begin() as connection:
        connection.execute(sa.text(
            f"INSERT INTO results ({', '.join(names)}) SELECT "
            f"{', '.join(chosen.get(n, n) for n in names)} FROM (SELECT *, {score} AS s "
            "FROM results WHERE run_id = :base AND period = :base_period) t"), values)
        connection.execute(sa.text(
            "INSERT INTO feature_snapshots (run_id, first_uscc, period, last_uscc, rows, "
            "features) SELECT :run, first_uscc, :period, last_uscc, rows, features "
            "FROM feature_snapshots WHERE run_id = :base AND period = :base_period"), values)
        connection.execute(sa.text(
            "INSERT INTO warnings (run_id, uscc, period, severity, action, action_en, "
            "triggers, previous_level, risk_level) SELECT :run, uscc, :period, severity, "
            "action, action_en, triggers, previous_level, risk_level FROM warnings "
            "WHERE run_id = :base"), values)
        connection.execute(sa.text(
            "INSERT INTO region_risk (run_id, level, region, industry_section, period, "
            "enterprises, share_c_or_d, mean_score, share_c_or_d_change, mean_score_change, "
            "high_risk) SELECT :run, level, region, industry_section, :period, enterprises, "
            "share_c_or_d, mean_score, share_c_or_d_change, mean_score_change, high_risk "
            "FROM region_risk WHERE run_id = :base"), values)
        connection.execute(sa.text(
            "UPDATE classification_runs SET rows = (SELECT rows FROM classification_runs "
            "WHERE run_id = :base) WHERE run_id = :run"), values)
    store.publish(run)
    return run


def sizes(store: ResultsStore, path: Path | None) -> dict[str, int]:
    """Bytes: the whole database and each table family (with its indexes and partitions)."""
    with store.engine.begin() as connection:
        if store.engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            found = {"total": path.stat().st_size if path else 0}
            try:
                rows = connection.exec_driver_sql(
                    "SELECT coalesce(i.tbl_name, d.name), sum(d.pgsize) FROM dbstat d "
                    "LEFT JOIN sqlite_master i ON i.name = d.name GROUP BY 1").all()
                found |= {name: int(size) for name, size in rows}
            except sa.exc.OperationalError:  # SQLite built without dbstat
                pass
            return found
        connection.exec_driver_sql("ANALYZE")
        rows = connection.exec_driver_sql(
            "SELECT coalesce(p.relname, c.relname), sum(pg_total_relation_size(c.oid)) "
            "FROM pg_class c LEFT JOIN pg_inherits i ON i.inhrelid = c.oid "
            "LEFT JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE c.relnamespace = to_regnamespace(current_schema())::oid "
            "AND c.relkind = 'r' GROUP BY 1").all()
        found = {name: int(size) for name, size in rows}
        own = connection.exec_driver_sql(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "WHERE c.relnamespace = to_regnamespace(current_schema())::oid "
            "AND c.relispartition AND c.relkind = 'r'").all()
        return {"total": sum(found.values())} | found | {
            f"partition {name}": int(size) for name, size in own}


def timed(call: Callable[[], object], calls: int) -> tuple[float, float]:
    """p50 and p99 of ``calls`` calls, in ms (one warm-up call first)."""
    call()
    laps = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        laps.append((time.perf_counter() - started) * 1000)
    laps.sort()
    return statistics.median(laps), laps[min(len(laps) - 1, int(0.99 * len(laps)))]


def queries(store: ResultsStore, period: dt.date, enterprises: int, calls: int,
            export_calls: int) -> dict[str, tuple[float, float]]:
    rng = np.random.default_rng(11)
    run = store.published_run(period)
    assert run is not None

    def code() -> str:
        return f"91410100MA{int(rng.integers(0, enterprises)):08d}"

    def cursor() -> str:
        return base64.urlsafe_b64encode(f"{run.run_id}/{code()}".encode()).decode().rstrip("=")

    def export() -> int:
        return sum(len(chunk) for chunk in classification_csv(store, period, WHOLE_PROVINCE))

    scope = WHOLE_PROVINCE
    operations: dict[str, tuple[Callable[[], object], int]] = {
        "enterprise history": (lambda: enterprise_history(store, code()), calls),
        "published result": (lambda: stored_explanation(store, code(), period, scope), calls),
        "page of 1,000": (lambda: classification_page(store, period, scope, limit=1000,
                                                      cursor=cursor()), calls),
        "page of 1,000, class D": (lambda: classification_page(
            store, period, scope, risk_level="D", limit=1000, cursor=cursor()), calls),
        "page of 1,000, prefecture 4101": (lambda: classification_page(
            store, period, scope, region="4101", limit=1000, cursor=cursor()), calls),
        "CSV export of the period": (export, export_calls),
        "warnings, 100 most severe": (lambda: period_warnings(store, period, 100), calls),
        "region risk, county cells": (lambda: period_region_risk(store, period, scope,
                                                                 "county"), calls),
    }
    return {name: timed(call, n) for name, (call, n) in operations.items()}


def pg_schema_url(url: str, schema: str) -> str:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def measure_only(args: argparse.Namespace, work: Path) -> None:
    if args.database_url:
        url = f"{args.database_url}{'&' if '?' in args.database_url else '?'}" \
              f"options=-csearch_path%3D{args.schema}"
        path = None
    else:
        path = work / "results.db"
        url = f"sqlite:///{path}"
    store = ResultsStore(url)
    periods = store.periods()
    print(f"{store.engine.dialect.name}: {len(periods)} periods, newest {periods[-1]}; "
          f"{mib(sizes(store, path)['total'])}")
    for name, (p50, p99) in queries(store, periods[-1], args.enterprises, args.calls,
                                    args.export_calls).items():
        print(f"{name:32} {p50:9.2f} / {p99:8.2f}")
    store.engine.dispose()


def mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--periods", type=int, default=24)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--export-calls", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--schema", default="ecr_bench_periods")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--measure-only", action="store_true",
                        help="time the queries on the database a previous run left (its "
                             "newest period), building nothing")
    parser.add_argument("--plans", action="store_true",
                        help="print the plan of every query of the index plan at the end")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="ecr-periods-"))
    path = None
    if args.measure_only:
        measure_only(args, work)
        return
    if args.database_url:
        url = pg_schema_url(args.database_url, args.schema)
    else:
        path = work / "results.db"
        for leftover in work.glob("results.db*"):
            os.remove(leftover)
        url = f"sqlite:///{path}"
    store = ResultsStore(url).migrate()
    print(f"{store.engine.dialect.name}, {args.enterprises:,} enterprises, "
          f"{args.periods} periods")
    periods = month_ends(NEWEST, args.periods)

    started = time.perf_counter()
    base = write_newest(store, periods[0], args.enterprises)
    print(f"newest period {periods[0]} written in {time.perf_counter() - started:.1f} s")
    at_one = sizes(store, path)
    first = queries(store, periods[0], args.enterprises, args.calls, args.export_calls)

    started = time.perf_counter()
    for k, period in enumerate(periods[1:], start=1):
        clone(store, base, period, k)
    print(f"{args.periods - 1} older periods cloned in {time.perf_counter() - started:.1f} s")
    at_all = sizes(store, path)
    last = queries(store, periods[0], args.enterprises, args.calls, args.export_calls)

    print(f"\ndatabase size        at 1 period    at {args.periods} periods   per period")
    for name in sorted(set(at_one) | set(at_all), key=lambda n: -at_all.get(n, 0)):
        one, many = at_one.get(name, 0), at_all.get(name, 0)
        if (many < 2**20 and name != "total") or name.startswith("partition "):
            continue
        per = (many - one) / max(1, args.periods - 1)
        print(f"{name:20} {mib(one):>13} {mib(many):>14} {mib(int(per)):>12}")
    with store.engine.connect() as connection:
        if partitions.is_partitioned(connection):
            names = [partitions.name(t, partitions.month_of(periods[0]))
                     for t in partitions.PARTITIONED]
            shown = ", ".join(f"{n} {mib(at_all.get(f'partition {n}', 0))}" for n in names)
            print(f"partitions of {periods[0]:%Y-%m}: {shown} (counted in their tables)")

    print(f"\nlatency (ms)                      1 period p50 / p99    {args.periods} periods "
          "p50 / p99")
    for name in first:
        (a50, a99), (b50, b99) = first[name], last[name]
        print(f"{name:32} {a50:9.2f} / {a99:8.2f}    {b50:9.2f} / {b99:8.2f}")

    if args.plans:
        code = f"91410100MA{args.enterprises // 2:08d}"
        sample = Sample(base, periods[0], code)
        for lookup in LOOKUPS:
            print(f"\n-- {lookup.query} ({lookup.index})\n{explain(store, lookup, sample)}")
    store.engine.dispose()


if __name__ == "__main__":
    main()

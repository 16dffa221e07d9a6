"""What the service reads, at scale: a page of a 1,000,000-row period (the plan and the
time), the CSV export of a 100,000-row period (rows/s), and a search of 1,000,000 enterprises,
each beside the code path it replaced, in the same run: the CSV export read in keyset chunks
of 5,000 rows and written by Python (before: one query streamed, or PostgreSQL's COPY), and a
search scanning the enterprises file with DuckDB (before: the in-memory directory).

    PYTHONPATH=. python bench/service_reads.py [--rows 1000000] [--csv-rows 100000]
        [--enterprises 1000000] [--database-url postgresql+psycopg://…] [--work DIR]

Result rows are made up (no model): the reads do not care how they were scored.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from features.enterprise_directory import EnterpriseDirectory
from features.store import Store
from serving.monthly.batch import RESULT_SCHEMA
from serving.results.export import EXPORT_COLUMNS
from serving.results.schema import results as results_table
from serving.results.store import ResultSelection, ResultsStore, page_query
from serving.use_cases import Scope, classification_csv, classification_page, search_enterprises

PAGE_PERIOD, CSV_PERIOD = dt.date(2025, 12, 31), dt.date(2025, 11, 30)
COUNTIES = [f"41{p:02d}{c:02d}" for p in range(1, 18) for c in range(2, 12)]
SECTIONS = list("ACFGHIKLM")
DOMAINS = ["", "food", "drug", "food;drug", "special_equipment"]


def result_batch(period: dt.date, start: int, count: int, rng: np.random.Generator) -> pa.Table:
    index = np.arange(start, start + count)
    county = np.asarray(COUNTIES)[rng.integers(0, len(COUNTIES), count)]
    own_bureau = rng.random(count) < 0.1
    score = rng.uniform(0, 1000, count)
    level = np.asarray(list("ABCD"))[np.digitize(score, [400, 600, 800])]
    section = np.asarray(SECTIONS)[rng.integers(0, len(SECTIONS), count)]
    columns: dict[str, object] = {name: pa.nulls(count, RESULT_SCHEMA.field(name).type)
                                  for name in RESULT_SCHEMA.names}
    columns |= {
        "uscc": pa.array([f"91410100MA{i:08d}" for i in index]),
        "period": pa.array([period] * count, pa.date32()),
        "model_score": score, "final_score": score, "model_level": level,
        "risk_level": level, "class_label": level,
        "fired_rules": np.where(level == "D", "abnormal_operation_list", ""),
        "base_points": np.full(count, 301.5),
        "factor_up_1": pa.array(["penalties_12m"] * count), "points_up_1": rng.normal(9, 3, count),
        "factor_down_1": pa.array(["age_years"] * count), "points_down_1": -rng.random(count),
        "prefecture": np.char.add(np.char.ljust(county.astype("U4"), 4), "00"),
        "county": pa.array(np.where(own_bureau, None, county).tolist(), pa.string()),
        "industry_section": section,
        "industry_division": np.char.add(section, np.where(section == "C", "13", "51")),
        "domain_tags": np.asarray(DOMAINS)[rng.integers(0, len(DOMAINS), count)],
        "input_fingerprint": pa.array(["0" * 32] * count),
        "model_version": pa.array(["m/1"] * count), "rules_version": pa.array(["r1"] * count),
    }
    return pa.table({n: pa.array(columns[n]) if not isinstance(columns[n], pa.Array)
                     else columns[n] for n in RESULT_SCHEMA.names}, schema=RESULT_SCHEMA)


def publish(results: ResultsStore, period: dt.date, rows: int) -> str:
    if results.published_run(period) is not None and results.published_run(period).rows == rows:
        return results.published_run(period).run_id
    rng = np.random.default_rng(period.toordinal())
    started = time.perf_counter()
    run = results.begin_run(period, "monthly", "models:/bench", "bench/1", "r1", "henan",
                            "sha256:bench", "v1")
    for start in range(0, rows, 50_000):
        results.write_results(run, result_batch(period, start, min(50_000, rows - start), rng))
    results.publish(run)
    print(f"wrote {rows:,} results for {period} in {time.perf_counter() - started:.1f} s")
    return run


def explain(results: ResultsStore, query: sa.Select) -> str:
    compiled = query.compile(results.engine, compile_kwargs={"literal_binds": True})
    prefix = ("EXPLAIN QUERY PLAN " if results.engine.dialect.name == "sqlite"
              else "EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF) ")
    with results.engine.connect() as connection:
        plan = connection.exec_driver_sql(prefix + str(compiled)).all()
    return "\n".join("    " + " ".join(str(v) for v in row[-1:]) for row in plan)


def timed(label: str, call, repeat: int = 5) -> object:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        outcome = call()
        best = min(best, time.perf_counter() - started)
    print(f"  {label}: {best * 1000:.1f} ms (best of {repeat})")
    return outcome


def enterprises_store(root: Path, count: int) -> Store:
    """A store holding only an ``enterprises`` table of ``count`` made-up enterprises."""
    store = Store(root)
    if store.table_path("enterprises") is not None:
        return store
    rng = np.random.default_rng(3)
    places = np.asarray(["郑州", "洛阳", "开封", "新乡", "南阳", "许昌", "安阳", "信阳"])
    words = np.asarray(["恒达", "宏远", "鑫源", "华信", "中原", "金盛", "永泰", "瑞丰"])
    picks = rng.integers(0, 8, (count, 2))
    names = np.char.add(np.char.add(places[picks[:, 0]], words[picks[:, 1]]),
                        np.char.add(np.arange(count).astype("U7"), "有限公司"))
    (root / "v1").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({
        "uscc": [f"91410100MA{i:08d}" for i in range(count)], "name": names,
        "region_code": np.asarray(COUNTIES)[rng.integers(0, len(COUNTIES), count)],
        "industry_code": np.full(count, "C13"),
    }), root / "v1" / "enterprises.parquet")
    (root / "CURRENT").write_text("v1\n")
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--csv-rows", type=int, default=100_000)
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ecr-bench")
    arguments = parser.parse_args()
    arguments.work.mkdir(parents=True, exist_ok=True)
    url = arguments.database_url or f"sqlite:///{arguments.work}/service-reads.db"
    results = ResultsStore(url).migrate()
    run = publish(results, PAGE_PERIOD, arguments.rows)
    publish(results, CSV_PERIOD, arguments.csv_rows)
    everywhere = Scope()

    print(f"page of 100 at {arguments.rows:,} rows ({results.engine.dialect.name}):")
    middle = f"91410100MA{arguments.rows // 2:08d}"
    print(explain(results, page_query(run, middle, 101)))
    page = timed("first page", lambda: classification_page(results, PAGE_PERIOD, everywhere))
    cursor = page.next_cursor  # type: ignore[attr-defined]
    timed("second page (keyset)", lambda: classification_page(
        results, PAGE_PERIOD, everywhere, cursor=cursor))
    selection = ResultSelection(risk_level="D", region="4101")
    print("  filtered (class D in 4101, ~1 row in 85), plan:")
    print(explain(results, page_query(run, middle, 101, selection)))
    timed("filtered page", lambda: classification_page(
        results, PAGE_PERIOD, Scope("4101"), risk_level="D"))
    timed("county-scoped page", lambda: classification_page(
        results, PAGE_PERIOD, Scope("410102")))

    csv_run = results.published_run(CSV_PERIOD).run_id  # type: ignore[union-attr]
    for label, export in (("keyset chunks (before)", lambda: keyset_csv(results, csv_run)),
                          ("one stream (now)", lambda: classification_csv(
                              results, CSV_PERIOD, everywhere))):
        started = time.perf_counter()
        written = sum(chunk.count(b"\n") for chunk in export()) - 1
        seconds = time.perf_counter() - started
        print(f"CSV of {written:,} rows, {label}: {seconds:.2f} s, "
              f"{written / seconds:,.0f} rows/s")

    store = enterprises_store(arguments.work / f"enterprises-{arguments.enterprises}",
                              arguments.enterprises)
    started = time.perf_counter()
    directory = EnterpriseDirectory(store)
    print(f"search among {arguments.enterprises:,} enterprises (directory opened in "
          f"{time.perf_counter() - started:.1f} s):")
    for label, q, scope in (("by code prefix", "91410100MA0012", everywhere),
                            ("by name prefix", "洛阳恒达", everywhere),
                            ("by name prefix, county scope", "洛阳恒达", Scope("410305"))):
        timed(f"{label}, DuckDB scan (before)", lambda q=q, scope=scope: scanned_search(
            store, q, scope))
        timed(f"{label}, directory (now)", lambda q=q, scope=scope: search_enterprises(
            results, directory, q, scope))


def keyset_csv(results: ResultsStore, run_id: str) -> list[bytes]:
    """The export as it was: keyset queries of 5,000 rows, each written by Python."""
    import csv
    import io

    chunks, after = [(",".join(EXPORT_COLUMNS) + "\n").encode()], None
    columns = [c for c in results_table.columns if c.name != "run_id"]
    while True:
        with results.engine.connect() as connection:
            rows = [tuple(r) for r in connection.execute(
                page_query(run_id, after, 5000).with_only_columns(*columns))]
        if not rows:
            return chunks
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        chunks.append(buffer.getvalue().encode())
        after = rows[-1][0]


def scanned_search(store: Store, q: str, scope: Scope) -> list[tuple]:
    """The search as it was: a scan of the enterprises file per call."""
    import duckdb

    with duckdb.connect() as connection:
        return connection.execute(
            "SELECT uscc, name, region_code, industry_code FROM read_parquet(?) "
            "WHERE (starts_with(uscc, ?) OR starts_with(name, ?)) "
            "AND (CAST(? AS VARCHAR) IS NULL OR starts_with(region_code, ?)) "
            "ORDER BY uscc LIMIT 20",
            [str(store.table_path("enterprises")), q.upper(), q, scope.prefix,
             scope.prefix or ""]).fetchall()


if __name__ == "__main__":
    main()

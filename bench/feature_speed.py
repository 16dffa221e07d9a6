"""Benchmark: point-in-time features for one as-of date on a synthetic province.

Target (issues 3 and 18): 1,000,000 enterprises (~30 M records) in ≤ 20 s wall and ≤ 4 GiB
peak on the 2-core machine. Measured in the same run beside the default path (the parts set
side by side, `features.part_assembly`): the joined expression on DuckDB (the previous path,
and the one Spark runs) and a straightforward pandas groupby computing the same features
(bench/pandas_baseline.py); the outputs are compared value by value.

    .venv/bin/python bench/feature_speed.py                      # 1,000,000 × 48 months
    .venv/bin/python bench/feature_speed.py --enterprises 100000 --months 48

The province and its store are cached under --work, so reruns measure only the features.
Each engine runs in its own child process so peak memory is its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import time
from pathlib import Path

import numpy as np
import polars as pl
from measure import (
    cached_store,
    peak_rss_gib,
    province_arguments,
    run_child,
)


def child(engine: str, store_dir: Path, as_of: dt.date, out: Path) -> None:
    """Compute features with one engine; print wall and CPU seconds (every thread of the
    process: a fairer figure on a busy machine) and peak memory up to then as JSON."""
    from features.store import Store

    store = Store(store_dir)
    started, cpu_started = time.perf_counter(), time.process_time()
    if engine in ("duckdb", "joined"):
        from features.engineering import features_at
        from features.engines import compute_features, duckdb_backend, load_tables

        if engine == "duckdb":
            table = compute_features(store, as_of)
        else:
            # The previous path ran with DuckDB's earlier limit: at 2GB it runs out of memory
            # at 1,000,000 enterprises, since it holds the whole table inside DuckDB.
            backend = duckdb_backend()
            backend.raw_sql("SET memory_limit = '3GB'")
            with features_at(load_tables(backend, store), as_of) as expression:
                table = expression.order_by("uscc").to_pyarrow()
        rows = table.num_rows
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        peak = peak_rss_gib()
        pl.from_arrow(table).write_parquet(out)
    else:
        from pandas_baseline import pandas_features

        frame = pandas_features(store, as_of)
        rows = len(frame)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        peak = peak_rss_gib()
        frame.to_parquet(out)
    # The peak is read before the output is written for the comparison: writing is the
    # benchmark's, not the engine's.
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_gib": peak, "rows": rows}))


def compare(engine_file: Path, baseline_file: Path) -> list[str]:
    """Names of features on which the engine and the baseline disagree."""
    from features.catalog import CATALOG

    engine = pl.read_parquet(engine_file).sort("uscc")
    baseline = pl.read_parquet(baseline_file).sort("uscc")
    if engine.get_column("uscc").to_list() != baseline.get_column("uscc").to_list():
        return ["(different enterprises)"]
    different = []
    for feature in CATALOG:
        left, right = engine.get_column(feature.name), baseline.get_column(feature.name)
        if feature.is_categorical:
            same = left.cast(pl.Utf8).equals(right.cast(pl.Utf8))
        else:
            a = left.cast(pl.Float64).fill_null(np.nan).to_numpy()
            b = right.cast(pl.Float64).fill_null(np.nan).to_numpy()
            same = np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
        if not same:
            different.append(feature.name)
    return different


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    province_arguments(parser, enterprises=1_000_000)
    parser.add_argument("--as-of", default="2025-12-31")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="leave out the pandas baseline (about 25 GiB at 1M, more than "
                             "this machine has)")
    parser.add_argument("--skip-joined", action="store_true",
                        help="leave out the joined expression on DuckDB (the previous path)")
    parser.add_argument("--child", choices=["duckdb", "joined", "pandas"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    if args.child:
        child(args.child, args.store, as_of, args.out)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    store = cached_store(args.work, args.enterprises, args.months, args.seed)
    from features.store import Store

    tables = Store(store).manifest()["tables"]
    print(
        f"province: {args.enterprises:,} enterprises, "
        f"{tables['records']['rows']:,} records, {tables['relations']['rows']:,} relations"
    )
    engine_out = args.work / "features-duckdb.parquet"
    duck = run_child(__file__, "duckdb", "--store", str(store), "--as-of", str(as_of),
                     "--out", str(engine_out))
    print(
        f"ibis→duckdb : {duck['seconds']:7.1f} s wall, {duck['cpu_seconds']:7.1f} s CPU, "
        f"{duck['peak_gib']:.2f} GiB peak, "
        f"{duck['rows']:,} enterprises at {as_of}"
    )
    if args.enterprises == 1_000_000:
        time_ok, memory_ok = duck["seconds"] <= 20, duck["peak_gib"] <= 4
        print(f"targets at 1,000,000 enterprises: ≤ 20 s {'PASS' if time_ok else 'FAIL'}, "
              f"≤ 4 GiB {'PASS' if memory_ok else 'FAIL'}")
    if not args.skip_joined:
        joined_out = args.work / "features-joined.parquet"
        joined = run_child(__file__, "joined", "--store", str(store), "--as-of", str(as_of),
                           "--out", str(joined_out))
        different = compare(engine_out, joined_out)
        print(
            f"joined      : {joined['seconds']:7.1f} s wall, {joined['cpu_seconds']:7.1f} s CPU, "
            f"{joined['peak_gib']:.2f} GiB peak (the expression Spark runs, on DuckDB; "
            f"{'same features' if not different else 'DIFFERS on ' + ', '.join(different)})"
        )
    if args.skip_baseline:
        return
    baseline_out = args.work / "features-pandas.parquet"
    try:
        base = run_child(__file__, "pandas", "--store", str(store), "--as-of", str(as_of),
                         "--out", str(baseline_out))
    except subprocess.CalledProcessError as error:
        reason = "killed, out of memory?" if error.returncode == -9 else error.returncode
        print(f"pandas      : failed ({reason})")
        return
    print(f"pandas      : {base['seconds']:7.1f} s wall, {base['cpu_seconds']:7.1f} s CPU, "
          f"{base['peak_gib']:.2f} GiB peak")
    print(
        f"speed-up vs pandas: {base['seconds'] / duck['seconds']:.1f}×, "
        f"memory ratio: {base['peak_gib'] / duck['peak_gib']:.1f}×"
    )
    different = compare(engine_out, baseline_out)
    print(
        "outputs agree on every feature"
        if not different
        else f"outputs DIFFER on: {', '.join(different)}"
    )


if __name__ == "__main__":
    main()

"""Benchmark: ingest a synthetic province, then ingest it again (must change nothing).

    .venv/bin/python bench/ingest.py [--enterprises 1000000] [--months 48] [--seed 7]

Prints wall time, rows per second and peak memory of the first ingest (validation of every
row against the data contract, deduplication, publish) and of the idempotent re-ingest.
Each ingest runs in its own child process so peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from measure import (
    cached_province,
    peak_rss_gib,
    province_arguments,
    run_child,
)


def child(province: Path, store: Path) -> None:
    from features.ingest import ingest
    from features.store import Store

    started = time.perf_counter()
    report = ingest([province], Store(store))
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_gib": peak_rss_gib(),
                "rows": sum(c.rows for c in report.tables.values()),
                "rejected": sum(c.rejected for c in report.tables.values()),
                "published": report.published,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    province_arguments(parser, enterprises=1_000_000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.store)
        return
    province = cached_province(args.work, args.enterprises, args.months, args.seed)
    store = args.work / "ingest-bench-store"
    shutil.rmtree(store, ignore_errors=True)
    for label in ("first ingest", "re-ingest"):
        run = run_child(__file__, str(province), "--store", str(store))
        print(
            f"{label:12s}: {run['seconds']:7.1f} s wall, {run['rows'] / run['seconds']:,.0f} "
            f"rows/s, {run['peak_gib']:.2f} GiB peak, {run['rows']:,} rows, "
            f"{run['rejected']:,} rejected, {'published' if run['published'] else 'no change'}"
        )
    shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Benchmark the synthetic province generator.

Usage: ``python bench/synth.py [--enterprises 1000000] [--months 48] [--seed 7] [--out DIR]``
Prints wall time, peak RSS, rows per table, records per second and output size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from measure import peak_rss_gib

from synthetic import generate


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=48)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dirty", type=float, default=0.0)
    parser.add_argument("--fmt", default="parquet", choices=("parquet", "csv", "jsonl"))
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default: a temporary directory, removed after)",
    )
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        out = args.out or Path(tmp)
        started = time.perf_counter()
        summary = generate(
            out,
            enterprises=args.enterprises,
            months=args.months,
            seed=args.seed,
            dirty=args.dirty,
            fmt=args.fmt,
            progress=args.progress,
        )
        wall = time.perf_counter() - started
        size = _size(out)
    peak_gib = peak_rss_gib()
    print(
        f"enterprises × months : {args.enterprises:,} × {args.months} (seed {args.seed}, "
        f"{args.fmt}, dirty {args.dirty})"
    )
    print(f"period               : {summary.period_start} .. {summary.period_end}")
    print(f"wall time            : {wall:,.1f} s")
    print(f"peak RSS             : {peak_gib:,.2f} GiB")
    for name, rows in summary.rows.items():
        print(f"rows {name:<16}: {rows:>14,}  (dirty {summary.dirty_rows[name]:,})")
    print(f"records per second   : {summary.rows['records'] / wall:,.0f}")
    print(f"output size          : {size / 1024**2:,.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

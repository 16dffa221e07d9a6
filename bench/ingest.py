"""Benchmark: first ingest, unchanged re-ingest and re-ingest after one file changed, each
beside a full re-read (``ingest(..., full=True)``, ``ecr ingest --full``: every row read and
validated, as every ingest did before unchanged files were skipped).

    .venv/bin/python bench/ingest.py [--enterprises 1000000] [--months 48] [--seed 7]
                                     [--work DIR] [--changed-share 0.01]

Steps, each in its own child process (so peak memory is its own):

1. first ingest of the province into an empty store (targets: >= 300,000 rows/s, <= 6 GiB);
2. re-ingest of the same unchanged files (target <= 5 s), then the same with ``full``;
3. one file changed (``enterprises.parquet``: the registered capital of ``--changed-share`` of
   the enterprises raised by 10 %; the other files are symbolic links to the province's), then
   re-ingested incrementally into the store and with ``full`` into a hard-linked copy of the
   same store (the same starting point).

The first ingest is also run, in the same run, by the code of ``--baseline-ref`` (by
default the last commit before the first ingest was made faster: USCCs checked once per
distinct code, typed columns read without their text, DuckDB's merge within 4GB), exported
with ``git archive`` into a scratch folder and imported ahead of this checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
from measure import ROOT, cached_province, peak_rss_gib, province_arguments, run_child

BASELINE_REF = "15cb5f9b371d602933cc0a6dd28051265bf5dce1"
"""The code the first ingest is compared with (2026-12-02, before the faster first ingest)."""


def baseline_code(ref: str, folder: Path) -> Path:
    """The project's code at ``ref``, exported into ``folder`` (no change to the checkout)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def child(inputs: Path, store: Path, full: bool) -> None:
    from features.ingest import ingest
    from features.store import Store

    started = time.perf_counter()
    report = ingest([inputs], Store(store), full=full)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "seconds": seconds,
        "peak_gib": peak_rss_gib(),
        "rows": sum(c.rows for c in report.tables.values()),
        "skipped_rows": sum(c.skipped_rows for c in report.tables.values()),
        "rejected": sum(c.rejected for c in report.tables.values()),
        "updated": sum(c.updated for c in report.tables.values()),
        "read": [f.path.name for f in report.files if not f.skipped],
        "skipped": [f.path.name for f in report.files if f.skipped],
        "published": report.published,
        "version": report.version,
    }))


def _changed_province(province: Path, folder: Path, share: float) -> None:
    """``folder``: the province with ``enterprises.parquet`` changed, the rest linked."""
    import polars as pl

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for entry in province.iterdir():
        if entry.name != "enterprises.parquet":
            (folder / entry.name).symlink_to(entry.resolve())
    enterprises = pl.read_parquet(province / "enterprises.parquet")
    every = max(1, round(1 / share))
    changed = pl.int_range(pl.len()) % every == 0
    enterprises.with_columns(
        pl.when(changed & pl.col("registered_capital").is_not_null())
        .then((pl.col("registered_capital") * 1.1).round(2))
        .otherwise(pl.col("registered_capital")).alias("registered_capital")
    ).write_parquet(folder / "enterprises.parquet")


def _line(label: str, run: dict, target: str = "", passed: bool | None = None) -> str:
    rows = run["rows"]
    rate = f"{rows / run['seconds']:,.0f} rows/s read" if rows else "no row read"
    verdict = "" if passed is None else f"  [{target}: {'PASS' if passed else 'FAIL'}]"
    return (f"{label:34s} {run['seconds']:7.1f} s, {rate}, {run['peak_gib']:.2f} GiB peak; "
            f"read {rows:,} rows ({', '.join(run['read']) or 'no file'}), skipped "
            f"{run['skipped_rows']:,} rows ({len(run['skipped'])} files), {run['updated']:,} "
            f"updated, {'published ' + run['version'] if run['published'] else 'no change'}"
            f"{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    province_arguments(parser, enterprises=1_000_000)
    parser.add_argument("--changed-share", type=float, default=0.01)
    parser.add_argument("--baseline-ref", default=BASELINE_REF,
                        help="git revision whose first ingest runs beside this one's")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.store, args.full)
        return
    province = cached_province(args.work, args.enterprises, args.months, args.seed)
    store = args.work / "ingest-bench-store"
    baseline_store = args.work / "ingest-bench-store-full"
    changed = args.work / "ingest-bench-changed"
    for path in (store, baseline_store, changed):
        shutil.rmtree(path, ignore_errors=True)

    def run(inputs: Path, target: Path, full: bool = False) -> dict:
        return run_child(__file__, str(inputs), "--store", str(target),
                         *(["--full"] if full else []))

    first = run(province, store)
    rate = first["rows"] / first["seconds"]
    print(_line("first ingest", first, ">= 300,000 rows/s", rate >= 300_000))
    print(f"{'':34s} peak {first['peak_gib']:.2f} GiB  [<= 6 GiB: "
          f"{'PASS' if first['peak_gib'] <= 6 else 'FAIL'}]")
    code = baseline_code(args.baseline_ref, args.work / "ingest-bench-baseline-code")
    before_store = args.work / "ingest-bench-store-before"
    shutil.rmtree(before_store, ignore_errors=True)
    before = json.loads(subprocess.run(
        [sys.executable, __file__, "--child", str(province), "--store", str(before_store)],
        capture_output=True, text=True, check=True, cwd=code,
        env={**os.environ, "PYTHONPATH": str(code)}).stdout.strip().splitlines()[-1])
    print(_line(f"  baseline: first, code at {args.baseline_ref}", before))
    same = all(pq.read_table(Path(store, first["version"], f"{t}.parquet")).equals(
        pq.read_table(Path(before_store, before["version"], f"{t}.parquet")))
        for t in ("enterprises", "records", "relations", "inspections", "inspectors"))
    print(f"{'':34s} every table as the baseline stored it: {'PASS' if same else 'FAIL'}")
    shutil.rmtree(before_store, ignore_errors=True)
    shutil.rmtree(code, ignore_errors=True)
    again = run(province, store)
    print(_line("unchanged re-ingest", again, "<= 5 s", again["seconds"] <= 5))
    print(_line("  baseline: unchanged, full", run(province, store, full=True)))
    _changed_province(province, changed, args.changed_share)
    subprocess.run(["cp", "-al", str(store), str(baseline_store)], check=True)
    incremental = run(changed, store)
    baseline = run(changed, baseline_store, full=True)
    print(_line("one file changed (enterprises)", incremental, "faster than full",
                incremental["seconds"] < baseline["seconds"]))
    print(_line("  baseline: one changed, full", baseline))
    import polars as pl

    same = pl.read_parquet(Path(store, incremental["version"], "enterprises.parquet")).equals(
        pl.read_parquet(Path(baseline_store, baseline["version"], "enterprises.parquet")))
    print(f"{'':34s} enterprises as stored by the full re-read: {'PASS' if same else 'FAIL'}")
    reused = [t for t in ("records", "relations", "inspections", "inspectors")
              if Path(store, incremental["version"], f"{t}.parquet").stat().st_ino
              == Path(store, first["version"], f"{t}.parquet").stat().st_ino]
    print(f"{'':34s} tables kept as stored (same file, not rewritten): {', '.join(reused)} "
          f"[{'PASS' if len(reused) == 4 else 'FAIL'}]")
    for path in (store, baseline_store, changed):
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()

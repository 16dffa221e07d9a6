"""Shared by the benchmark scripts: province arguments, child processes, peak memory and the
cached synthetic province and store."""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_gib() -> float:
    """This process's own peak resident memory in GiB.

    Read from VmHWM: ``ru_maxrss`` of a child started by fork + exec can report the parent's
    peak from before the fork.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def cached_province(work: Path, enterprises: int, months: int, seed: int) -> Path:
    """The synthetic province for these arguments under ``work``, generated on first use."""
    from synthetic import generate

    province = work / f"province-{enterprises}-{months}-{seed}"
    if not (province / "records.parquet").exists():
        started = time.perf_counter()
        generate(province, enterprises=enterprises, months=months, seed=seed)
        print(f"synthesised {province} in {time.perf_counter() - started:.0f} s")
    return province


def cached_store(work: Path, enterprises: int, months: int, seed: int) -> Path:
    """The cached province ingested once into a store under ``work``; the store directory."""
    from features.ingest import ingest
    from features.store import Store

    province = cached_province(work, enterprises, months, seed)
    store_dir = work / f"store-{enterprises}-{months}-{seed}"
    if Store(store_dir).version is None:
        started = time.perf_counter()
        report = ingest([province], Store(store_dir))
        rows = {name: c.stored for name, c in report.tables.items()}
        print(f"ingested {rows} in {time.perf_counter() - started:.0f} s")
    return store_dir


def province_arguments(parser: argparse.ArgumentParser, enterprises: int) -> None:
    """--enterprises, --months, --seed and --work (where provinces and stores are cached)."""
    parser.add_argument("--enterprises", type=int, default=enterprises)
    parser.add_argument("--months", type=int, default=48)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "bench")


def run_child(script: str, *arguments: str) -> dict:
    """Run ``script --child …`` in a fresh process (so its peak memory is its own) and return
    the JSON object it prints last."""
    result = subprocess.run(
        [sys.executable, script, "--child", *arguments],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])

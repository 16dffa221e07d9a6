"""Shared by the benchmark scripts: peak memory and the cached synthetic province."""

from __future__ import annotations

import resource
import time
from pathlib import Path


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
    from features.synth import generate

    province = work / f"province-{enterprises}-{months}-{seed}"
    if not (province / "records.parquet").exists():
        started = time.perf_counter()
        generate(province, enterprises=enterprises, months=months, seed=seed)
        print(f"synthesised {province} in {time.perf_counter() - started:.0f} s")
    return province

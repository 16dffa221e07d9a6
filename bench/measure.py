"""Shared by the benchmark scripts: peak memory of the current process."""

from __future__ import annotations

import resource
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

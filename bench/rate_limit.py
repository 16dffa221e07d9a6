"""Benchmark: the CPU one rate-limit hit costs, `limits`' memory storage (the baseline, which
restarts a timer thread on a hit once 10 ms have passed since its last sweep) against the
service's `SweptMemoryStorage` (the sweep inline, at most once a second), in the same run.

Hits come one every ``--gap`` milliseconds, as one worker sees them at a given request rate
(2 ms: 500 requests/s; 12 ms: ~80/s, where the baseline starts a thread on every hit).

    .venv/bin/python bench/rate_limit.py [--hits 1000] [--gap 2 --gap 12]
"""

from __future__ import annotations

import argparse
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from serving.api.rate_limit import SweptMemoryStorage


def cost(storage: MemoryStorage, hits: int, gap: float) -> float:
    """µs of the process's CPU a hit, over the whole run: the timer threads the baseline
    starts do their work during the sleeps, so the sleeps are in (alike for both)."""
    limiter, item = SlidingWindowCounterRateLimiter(storage), parse("1000000/minute")
    start = time.process_time()
    for _ in range(hits):
        limiter.hit(item, "key")
        time.sleep(gap)
    return (time.process_time() - start) / hits * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=1000)
    parser.add_argument("--gap", type=float, action="append", help="ms between hits")
    args = parser.parse_args()
    for gap in args.gap or [2.0, 12.0]:
        baseline = cost(MemoryStorage(), args.hits, gap / 1000)
        swept = cost(SweptMemoryStorage(), args.hits, gap / 1000)
        print(f"a hit every {gap:g} ms: limits' MemoryStorage {baseline:6.1f} µs CPU, "
              f"SweptMemoryStorage {swept:6.1f} µs ({baseline / swept:.1f}×)")


if __name__ == "__main__":
    main()

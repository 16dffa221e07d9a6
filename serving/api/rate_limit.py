"""Requests per API key, counted in-process with `limits` (no server to install).

The strategy is `limits`' sliding window counter: two counters per key (this window and the
last), the last weighted by how much of it still overlaps the trailing window. A hit costs the
same whatever the limit; the moving window, exact but keeping one timestamp per request
inside the window, made every hit shift a list as long as the limit (at 500 requests a second
and a generous limit, a tenth of a request's time). With several workers each counts its own
share, so the limit is per worker; a deployment that needs one count across workers points
`limits` at Redis.

`limits`' memory storage sweeps expired counters on a timer thread that every hit restarts once
10 ms have passed since it last ran: at a few hundred requests a second, a thread started every
few requests. Here the sweep runs inline, at most once a second (`SweptMemoryStorage`); counters
are also checked for expiry whenever read, so the count is the same."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

SWEEP_SECONDS = 1.0
"""How often expired counters are dropped (they are ignored as soon as they expire)."""


class SweptMemoryStorage(MemoryStorage):
    """`limits`' in-process storage, expired entries swept inline instead of on a new thread."""

    def __init__(self) -> None:
        super().__init__()
        self._swept = time.monotonic()

    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now - self._swept >= SWEEP_SECONDS:
            self._swept = now
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


class RateLimiter:
    def __init__(self, rate: str) -> None:
        self.item = parse(rate)
        self.description = rate
        self._limiter = SlidingWindowCounterRateLimiter(SweptMemoryStorage())

    def hit(self, key_id: str) -> int | None:
        """Count one request; None when allowed, else the seconds to wait."""
        if self._limiter.hit(self.item, key_id):
            return None
        reset, _ = self._limiter.get_window_stats(self.item, key_id)
        return max(1, math.ceil(reset - time.time()))

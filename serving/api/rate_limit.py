"""Requests per API key, counted in-process with `limits` (no server to install).

The strategy is `limits`' sliding window counter: two counters per key (this window and the
last), the last weighted by how much of it still overlaps the trailing window. A hit costs the
same whatever the limit; the moving window, exact but keeping one timestamp per request
inside the window, made every hit shift a list as long as the limit (at 500 requests a second
and a generous limit, a tenth of a request's time). With several workers each counts its own
share, so the limit is per worker; a deployment that needs one count across workers points
`limits` at Redis."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter


class RateLimiter:
    def __init__(self, rate: str) -> None:
        self.item = parse(rate)
        self.description = rate
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    def hit(self, key_id: str) -> int | None:
        """Count one request; None when allowed, else the seconds to wait."""
        if self._limiter.hit(self.item, key_id):
            return None
        reset, _ = self._limiter.get_window_stats(self.item, key_id)
        return max(1, math.ceil(reset - time.time()))

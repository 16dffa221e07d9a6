"""Requests per API key, counted in-process with `limits` (no server to install): a sliding
window counter, which weighs the previous window's count by its overlap with the last
period, so a hit costs the same at 10 requests a minute as at a million (a moving window
keeps every request's time, and its hit grows with the limit: 6.7 ms a request at
1,000,000/minute). With several workers each counts its own share, so the limit is per
worker; a deployment that needs one count across workers points `limits` at Redis."""

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

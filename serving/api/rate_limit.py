"""Requests per API key, counted in-process with `limits` (a moving window in memory: no
server to install). With several workers each counts its own share, so the limit is per
worker; a deployment that needs one count across workers points `limits` at Redis."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class RateLimiter:
    def __init__(self, rate: str) -> None:
        self.item = parse(rate)
        self.description = rate
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, key_id: str) -> int | None:
        """Count one request; None when allowed, else the seconds to wait."""
        if self._limiter.hit(self.item, key_id):
            return None
        reset, _ = self._limiter.get_window_stats(self.item, key_id)
        return max(1, math.ceil(reset - time.time()))

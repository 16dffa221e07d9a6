"""The simulated period and date arithmetic on day numbers (days since 1970-01-01, int32)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from synthetic.params import COLLECTION_DELAYS

NO_DATE = np.iinfo(np.int32).min
"""Sentinel for a missing date in day-number arrays."""
EPOCH = np.datetime64("1970-01-01", "D")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def to_date(day: int) -> dt.date:
    """Date of a day number."""
    return (EPOCH + np.timedelta64(int(day), "D")).astype(dt.date)


def _as_datetime(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]")


def _as_days(values: np.ndarray) -> np.ndarray:
    return values.astype(np.int64).astype(np.int32)


@dataclass(frozen=True)
class Period:
    """``months`` calendar months ending with ``end_month`` (``YYYY-MM``)."""

    end_month: str
    months: int

    def __post_init__(self) -> None:
        match = _MONTH.match(self.end_month)
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"end_month: expected 'YYYY-MM', found {self.end_month!r}")
        if self.months < 1:
            raise ValueError(f"months: expected ≥ 1, found {self.months}")

    @cached_property
    def month_starts(self) -> np.ndarray:
        """Day numbers of the first day of each month, plus the day after the period."""
        last = np.datetime64(self.end_month, "M")
        firsts = np.arange(last - self.months + 1, last + 2, dtype="datetime64[M]")
        return _as_days(firsts.astype("datetime64[D]"))

    @property
    def start_day(self) -> int:
        return int(self.month_starts[0])

    @property
    def end_day(self) -> int:
        return int(self.month_starts[-1]) - 1

    @property
    def start(self) -> dt.date:
        return to_date(self.start_day)

    @property
    def end(self) -> dt.date:
        return to_date(self.end_day)

    def bounds(self, t: int) -> tuple[int, int]:
        """First and last day number of month ``t`` (0-based)."""
        return int(self.month_starts[t]), int(self.month_starts[t + 1]) - 1

    def calendar_month(self, t: int) -> int:
        """Calendar month (1-12) of month ``t``; negative ``t`` counts back before the period."""
        first = np.datetime64(self.end_month, "M") - self.months + 1
        return int((first + t).astype(int) % 12) + 1

    def year(self, t: int) -> int:
        first = np.datetime64(self.end_month, "M") - self.months + 1
        return int((first + t).astype(int) // 12) + 1970

    def label(self, t: int) -> str:
        """``YYYYMM`` of month ``t``."""
        return f"{self.year(t)}{self.calendar_month(t):02d}"

    def month_of(self, days: np.ndarray) -> np.ndarray:
        """Month index (may be < 0 or ≥ months) of day numbers."""
        months = _as_datetime(np.asarray(days)).astype("datetime64[M]").astype(np.int64)
        first = (np.datetime64(self.end_month, "M") - self.months + 1).astype(np.int64)
        return (months - first).astype(np.int32)

    def month_start_of(self, t: np.ndarray) -> np.ndarray:
        """First day of (possibly out-of-period) month indices."""
        first = np.datetime64(self.end_month, "M") - self.months + 1
        months = first + np.asarray(t).astype("timedelta64[M]")
        return _as_days(months.astype("datetime64[D]"))


def business_day(days: np.ndarray, latest: np.ndarray | int | None = None) -> np.ndarray:
    """Roll day numbers forward to a working day; roll back instead where that passes ``latest``."""
    dates = _as_datetime(days)
    forward = _as_days(np.busday_offset(dates, 0, roll="forward"))
    if latest is None:
        return forward
    backward = _as_days(np.busday_offset(dates, 0, roll="backward"))
    return np.where(forward <= latest, forward, np.maximum(backward, np.minimum(days, latest)))


def add_business_days(days: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Day numbers ``offsets`` working days after ``days`` (rolled forward first)."""
    return _as_days(np.busday_offset(_as_datetime(days), offsets, roll="forward"))


def uniform_days(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """One day number uniform in [low, high] per element (inclusive)."""
    span = np.maximum(np.asarray(high, np.int64) - low + 1, 1)
    return (low + np.floor(rng.random(span.shape) * span)).astype(np.int32)


def delays(rng: np.random.Generator, n: int,
           mix: tuple[tuple[float, int, int], ...] = COLLECTION_DELAYS) -> np.ndarray:
    """Working-day collection delays drawn from a mixture of uniform ranges."""
    shares = np.array([m[0] for m in mix])
    part = rng.choice(len(mix), size=n, p=shares / shares.sum())
    low = np.array([m[1] for m in mix])[part]
    high = np.array([m[2] for m in mix])[part]
    return (low + np.floor(rng.random(n) * (high - low + 1))).astype(np.int32)


def add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Day numbers shifted by whole months (day of month clipped to the target month)."""
    dates = _as_datetime(days)
    month = dates.astype("datetime64[M]")
    day_of_month = (dates - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months).astype("timedelta64[M]")
    target_len = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    out = target.astype("datetime64[D]") + np.minimum(day_of_month, target_len - 1)
    return _as_days(out)

"""What a regulator looks at first: a period's class shares and their change, its warnings
with what was done about them, and one enterprise's warnings across its periods — all inside
the caller's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models.levels import LEVELS
from serving.monthly.regional import HIGH_RISK_RULE
from serving.results.store import ResultSelection, ResultsStore
from serving.use_cases.arguments import normal_uscc
from serving.use_cases.dispositions import (
    DISPOSITION_STATUSES,
    WarningView,
    list_warnings,
    warning_id_of,
)
from serving.use_cases.errors import InvalidRequest, NotFound
from serving.use_cases.scope import Scope

__all__ = ["HIGH_RISK_RULE", "ClassShares", "WarningPage", "class_shares",
           "enterprise_warnings", "warning_list"]


@dataclass(frozen=True)
class ClassShares:
    period: dt.date
    counts: dict[str, int]
    """Enterprises per internal level A–D in the period, inside the scope."""
    previous_period: dt.date | None
    previous_counts: dict[str, int] | None
    """The same for the period published before (None when there is none)."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, level: str) -> float:
        return self.counts[level] / self.total if self.total else 0.0

    def change(self, level: str) -> float | None:
        """The share's change against the previous period, as a fraction."""
        if not self.previous_counts:
            return None
        before = sum(self.previous_counts.values())
        if not before:
            return None
        return self.share(level) - self.previous_counts[level] / before


def class_shares(results: ResultsStore, period: dt.date, scope: Scope) -> ClassShares:
    """Enterprises per class in a published ``period`` and in the one published before it,
    inside ``scope``."""
    run = results.published_run(period)
    if run is None:
        raise NotFound(f"no classification is published for {period}")
    previous = results.previous_published(period)

    def counts(run_id: str) -> dict[str, int]:
        return {level: results.count_results(
            run_id, ResultSelection(risk_level=level, region=scope.prefix))
            for level in LEVELS}

    return ClassShares(period, counts(run.run_id), previous.period if previous else None,
                       counts(previous.run_id) if previous else None)


@dataclass(frozen=True)
class WarningPage:
    items: list[WarningView]
    total: int
    """Warnings that match, on every page."""
    offset: int

    @property
    def next_offset(self) -> int | None:
        """The offset of the next page; None on the last."""
        end = self.offset + len(self.items)
        return end if end < self.total else None


def warning_list(results: ResultsStore, period: dt.date, scope: Scope,
                 severity: int | None = None, status: str | None = None,
                 limit: int = 50, offset: int = 0) -> WarningPage:
    """The period's warnings (as `list_warnings`, most severe first) whose latest
    disposition has ``status`` (``open`` also matches a warning nothing was recorded for
    yet): ``limit`` of them from ``offset``."""
    if status is not None and status not in DISPOSITION_STATUSES:
        raise InvalidRequest(f"status: expected one of {', '.join(DISPOSITION_STATUSES)}, "
                             f"found {status!r}")
    for name, value, least in (("limit", limit, 1), ("offset", offset, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise InvalidRequest(f"{name}: expected a whole number of at least {least}, "
                                 f"found {value!r}")
    found = list_warnings(results, period, scope, severity)
    if status is not None:
        found = [w for w in found
                 if (w.disposition.status if w.disposition else "open") == status]
    return WarningPage(found[offset:offset + limit], len(found), offset)


def enterprise_warnings(results: ResultsStore, uscc: str, periods: list[dt.date],
                        scope: Scope) -> list[WarningView]:
    """The enterprise's warnings in the published ``periods`` (newest first), each with its
    latest disposition; periods without a warning for it are left out."""
    uscc = normal_uscc(uscc)
    found = []
    for period in sorted(periods, reverse=True):
        run = results.published_run(period)
        if run is None:
            continue
        for warning in results.scoped_warnings(run.run_id, ResultSelection(
                region=scope.prefix), uscc=uscc):
            steps = results.dispositions(period, uscc)
            found.append(WarningView(warning_id_of(period, uscc), warning,
                                     steps[-1] if steps else None))
    return found

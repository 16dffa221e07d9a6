"""Read what has been published: periods, an enterprise's history, warnings, region risk."""

from __future__ import annotations

import datetime as dt

from serving.monthly.regional import LEVELS
from serving.results.rows import HistoryEntry, RegionRisk, StoredWarning
from serving.results.store import ResultSelection, ResultsStore
from serving.use_cases.enterprises import scoped_history
from serving.use_cases.errors import InvalidRequest, NotFound
from serving.use_cases.scope import WHOLE_PROVINCE, Scope


def published_periods(results: ResultsStore) -> list[dt.date]:
    """Every published period, oldest first."""
    return results.periods()


def enterprise_history(results: ResultsStore, uscc: str,
                       scope: Scope = WHOLE_PROVINCE) -> list[HistoryEntry]:
    """An enterprise's published classifications inside ``scope``, oldest first, with the
    versions behind each (全程可查询、可追溯). ``uscc`` is read without surrounding spaces
    and in upper case."""
    return scoped_history(results, uscc, scope)


def period_warnings(results: ResultsStore, period: dt.date, limit: int | None = None,
                    scope: Scope = WHOLE_PROVINCE) -> list[StoredWarning]:
    """A published period's early warnings inside ``scope``, most severe first."""
    run = results.published_run(period)
    if run is None:
        raise NotFound(f"no classification is published for {period}")
    if scope.prefix is None:
        return results.warnings_of(run.run_id, limit)
    return results.scoped_warnings(run.run_id, ResultSelection(region=scope.prefix),
                                   limit=limit)


def period_region_risk(results: ResultsStore, period: dt.date, scope: Scope,
                       level: str = "prefecture") -> list[RegionRisk]:
    """A published period's region × industry cells at ``level`` (prefecture or county)
    whose region is inside ``scope``, in key order."""
    if level not in LEVELS:
        raise InvalidRequest(f"level: expected one of {', '.join(LEVELS)}, found {level!r}")
    run = results.published_run(period)
    if run is None:
        raise NotFound(f"no classification is published for {period}")
    return [cell for cell in results.region_risk_of(run.run_id, level)
            if scope.covers(cell.region or None)]

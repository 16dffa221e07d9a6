"""Read what has been published: periods, an enterprise's history, warnings, regional risk."""

from __future__ import annotations

import datetime as dt

from serving.results.rows import HistoryEntry, RegionalRisk, StoredWarning
from serving.results.store import ResultsStore
from serving.use_cases.arguments import normal_uscc
from serving.use_cases.errors import NotFound


def published_periods(results: ResultsStore) -> list[dt.date]:
    """Every published period, oldest first."""
    return results.periods()


def enterprise_history(results: ResultsStore, uscc: str) -> list[HistoryEntry]:
    """An enterprise's published classifications, oldest first, with the versions behind
    each (全程可查询、可追溯). ``uscc`` is read without surrounding spaces and in upper
    case."""
    uscc = normal_uscc(uscc)
    entries = results.history(uscc)
    if not entries:
        raise NotFound(f"{uscc}: no published classification in the results store")
    return entries


def period_warnings(results: ResultsStore, period: dt.date,
                    limit: int | None = None) -> list[StoredWarning]:
    """A published period's early warnings, most severe first."""
    run = results.published_run(period)
    if run is None:
        raise NotFound(f"no classification is published for {period}")
    return results.warnings_of(run.run_id, limit)


def period_regional_risk(results: ResultsStore, period: dt.date) -> list[RegionalRisk]:
    """A published period's prefecture × industry cells."""
    run = results.published_run(period)
    if run is None:
        raise NotFound(f"no classification is published for {period}")
    return results.regional_of(run.run_id)

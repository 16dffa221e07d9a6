"""One enterprise's published record, its stored explanation, and finding enterprises by
code or name; all limited to the caller's scope (outside it: as if it did not exist)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from features.enterprise_directory import EnterpriseDirectory
from models.levels import RiskLevel
from serving.results.rows import HistoryEntry
from serving.results.store import ResultsStore
from serving.use_cases.arguments import normal_uscc
from serving.use_cases.errors import InvalidRequest, NotFound
from serving.use_cases.scope import Scope

MIN_QUERY = 2
MAX_QUERY = 100
MAX_MATCHES = 100


@dataclass(frozen=True)
class EnterpriseRecord:
    """An enterprise's published classifications (全程可查询、可追溯)."""

    latest: HistoryEntry
    history: list[HistoryEntry]
    """Oldest period first; ``latest`` is the last."""


@dataclass(frozen=True)
class EnterpriseMatch:
    """An enterprise found by code or name, with its class in its latest published period
    (None when it has none)."""

    uscc: str
    name: str
    region_code: str
    industry_code: str
    risk_level: RiskLevel | None


def scoped_history(results: ResultsStore, uscc: str, scope: Scope) -> list[HistoryEntry]:
    """The enterprise's published results inside ``scope``, oldest first; `NotFound` (the
    same whether it is unknown or outside the scope) when there are none."""
    uscc = normal_uscc(uscc)
    entries = [e for e in results.history(uscc) if scope.covers(e.result.region_code)]
    if not entries:
        raise NotFound(f"{uscc}: no published classification in the results store")
    return entries


def enterprise_record(results: ResultsStore, uscc: str, scope: Scope) -> EnterpriseRecord:
    """The enterprise's latest published result and its history, with the versions behind
    each. ``uscc`` is read without surrounding spaces and in upper case."""
    entries = scoped_history(results, uscc, scope)
    return EnterpriseRecord(entries[-1], entries)


def stored_explanation(results: ResultsStore, uscc: str, period: dt.date,
                       scope: Scope) -> HistoryEntry:
    """The result published for the enterprise in ``period`` as stored: base points, top
    factors each way in points, fired rules, scores and the versions behind them."""
    uscc = normal_uscc(uscc)
    entry = results.published_result(uscc, period)
    if entry is None or not scope.covers(entry.result.region_code):
        raise NotFound(f"{uscc}: no published classification for {period} in the results "
                       "store")
    return entry


def search_enterprises(results: ResultsStore, directory: EnterpriseDirectory, q: str,
                       scope: Scope, limit: int = 20) -> list[EnterpriseMatch]:
    """Enterprises of ``directory`` (a store version's) inside ``scope`` whose code starts
    with ``q`` (stripped, upper-cased) or whose registered name starts with ``q`` (stripped),
    by code; at most ``limit`` (1–100). ``q`` needs at least 2 characters."""
    if not isinstance(q, str) or not MIN_QUERY <= len(q.strip()) <= MAX_QUERY:
        raise InvalidRequest(f"q: expected {MIN_QUERY} to {MAX_QUERY} characters (a code or "
                             f"name prefix), found {q!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_MATCHES:
        raise InvalidRequest(f"limit: expected a whole number from 1 to {MAX_MATCHES}, "
                             f"found {limit!r}")
    found = directory.find(q.strip(), scope.prefix, limit)
    levels = results.latest_levels(entry.uscc for entry in found)
    return [EnterpriseMatch(e.uscc, e.name, e.region_code, e.industry_code, levels.get(e.uscc))
            for e in found]

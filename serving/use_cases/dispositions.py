"""Warnings as a loop (监测预警 → 处置): a published period's warnings with what was last
done about each, and the dispositions recorded against them, append-only.

A warning is named by ``warning_id`` = ``{period:%Y%m%d}-{uscc}`` of its published period:
stable across a republication of the period, whose dispositions stay with the warning.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from serving.results.rows import Disposition, StoredWarning
from serving.results.store import ResultSelection, ResultsStore
from serving.use_cases.errors import InvalidRequest, NotFound
from serving.use_cases.scope import Scope

DISPOSITION_STATUSES = ("open", "in_progress", "resolved", "dismissed")
SEVERITIES = (1, 2, 3, 4)
"""提醒 remind, 警示 warn, 约谈 interview, 检查 inspect."""
TEXT_LIMITS = {"action_taken": 200, "department": 120, "note": 4000, "key_id": 16}
"""The longest text each disposition field may hold (characters)."""
_WARNING_ID = re.compile(r"^(\d{8})-([0-9A-Z]{18})$")


@dataclass(frozen=True)
class WarningView:
    """A stored warning with its stable id and the latest disposition (None: none yet)."""

    warning_id: str
    warning: StoredWarning
    disposition: Disposition | None


def warning_id_of(period: dt.date, uscc: str) -> str:
    return f"{period:%Y%m%d}-{uscc}"


def list_warnings(results: ResultsStore, period: dt.date, scope: Scope,
                  severity: int | None = None, limit: int | None = None) -> list[WarningView]:
    """The published period's warnings inside ``scope``, most severe first (then by uscc),
    of one ``severity`` (1–4) when given, at most ``limit`` (≥ 1) when given."""
    if severity is not None and (isinstance(severity, bool) or severity not in SEVERITIES):
        raise InvalidRequest(f"severity: expected one of 1, 2, 3, 4 (remind, warn, interview, "
                             f"inspect), found {severity!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 1):
        raise InvalidRequest(f"limit: expected a whole number of at least 1, found {limit!r}")
    run = results.published_run(period)
    if run is None:
        raise NotFound(f"no classification is published for {period}")
    found = results.scoped_warnings(run.run_id, ResultSelection(region=scope.prefix),
                                    severity, limit)
    latest = results.latest_dispositions(period) if found else {}
    return [WarningView(warning_id_of(period, w.uscc), w, latest.get(w.uscc)) for w in found]


def record_disposition(
    results: ResultsStore, warning_id: str, scope: Scope, *, status: str,
    action_taken: str | None = None, department: str | None = None, note: str | None = None,
    key_id: str | None = None, now: dt.datetime | None = None,
) -> Disposition:
    """Append what was done about a warning; earlier dispositions stay as they were."""
    if status not in DISPOSITION_STATUSES:
        raise InvalidRequest(f"status: expected one of {', '.join(DISPOSITION_STATUSES)}, "
                             f"found {status!r}")
    texts = {"action_taken": action_taken, "department": department, "note": note,
             "key_id": key_id}
    for name, value in texts.items():
        if value is not None and (not isinstance(value, str)
                                  or len(value) > TEXT_LIMITS[name]):
            raise InvalidRequest(f"{name}: expected text of at most {TEXT_LIMITS[name]} "
                                 f"characters, found {_shown(value)}")
    if now is not None and now.tzinfo is None:
        raise InvalidRequest(f"now: expected a time with its time zone, found {now!r}")
    period, uscc, warning = _warning(results, warning_id, scope)
    return results.record_disposition(
        warning[0], period, uscc, status, action_taken, department, note, key_id,
        (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC))


def disposition_history(results: ResultsStore, warning_id: str,
                        scope: Scope) -> list[Disposition]:
    """Every disposition of the warning, oldest first."""
    period, uscc, _ = _warning(results, warning_id, scope)
    return results.dispositions(period, uscc)


@dataclass(frozen=True)
class WarningRecord:
    """One warning with its latest disposition (``view``) and every disposition recorded
    against it (``history``, oldest first)."""

    view: WarningView
    history: list[Disposition]


def warning_record(results: ResultsStore, warning_id: str, scope: Scope) -> WarningRecord:
    """The published warning ``warning_id`` inside ``scope`` and what was done about it;
    `NotFound` outside the scope, as for an unknown warning."""
    period, uscc, (_, warning) = _warning(results, warning_id, scope)
    history = results.dispositions(period, uscc)
    return WarningRecord(WarningView(warning_id_of(period, uscc), warning,
                                     history[-1] if history else None), history)


def _warning(results: ResultsStore, warning_id: str,
             scope: Scope) -> tuple[dt.date, str, tuple[str, StoredWarning]]:
    """The period, uscc, and (run id, warning) of a published warning inside ``scope``."""
    match = _WARNING_ID.match(warning_id) if isinstance(warning_id, str) else None
    period = None
    if match:
        try:
            period = dt.datetime.strptime(match.group(1), "%Y%m%d").date()
        except ValueError:
            period = None
    if match is None or period is None:
        raise InvalidRequest(f"warning_id: expected the period as YYYYMMDD, '-' and an "
                             f"18-character unified social credit code (e.g. "
                             f"20251231-91410100MA00000001), found {_shown(warning_id)}")
    uscc = match.group(2)
    run = results.published_run(period)
    found = (results.scoped_warnings(run.run_id, ResultSelection(region=scope.prefix),
                                     uscc=uscc) if run is not None else [])
    if run is None or not found:
        raise NotFound(f"warning {warning_id}: no such warning in the published results")
    return period, uscc, (run.run_id, found[0])


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}… ({len(str(value))} characters)"

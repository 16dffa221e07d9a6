"""Warnings as a loop (监测预警 → 处置), on SQLite and PostgreSQL: warnings with their latest
disposition, dispositions appended (the database refuses to change or delete one), scope."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from serving.results.schema import warning_dispositions
from serving.results.store import ResultsStore
from serving.use_cases import (
    InvalidRequest,
    NotFound,
    Scope,
    disposition_history,
    list_warnings,
    period_warnings,
    record_disposition,
    warning_record,
)
from tests.serving.test_service_reads import DECEMBER, period_rows, publish, uscc_of

EVERYWHERE = Scope()
WARNED = (0, 1, 2, 3, 4, 5)


@pytest.fixture
def results(database_url: str) -> ResultsStore:
    store = ResultsStore(database_url).migrate()
    publish(store, DECEMBER, period_rows(DECEMBER), warned=WARNED)
    return store


def test_warnings_are_listed_with_a_stable_id_inside_the_scope(results: ResultsStore) -> None:
    views = list_warnings(results, DECEMBER, EVERYWHERE)
    assert [v.warning.uscc for v in views] == [w.uscc for w in period_warnings(results,
                                                                               DECEMBER)]
    assert {v.warning_id for v in views} == {f"20251231-{uscc_of(i)}" for i in WARNED}
    assert [v.warning.severity for v in views] == sorted(
        (v.warning.severity for v in views), reverse=True)
    assert all(v.disposition is None for v in views)
    county = list_warnings(results, DECEMBER, Scope("410102"))
    assert [v.warning.uscc for v in county] == [uscc_of(0), uscc_of(4)]  # severity 1, by uscc
    assert [w.uscc for w in period_warnings(results, DECEMBER, scope=Scope("410102"))] == [
        uscc_of(0), uscc_of(4)]
    assert [v.warning.severity for v in list_warnings(results, DECEMBER, EVERYWHERE,
                                                      severity=2)] == [2, 2]
    assert len(list_warnings(results, DECEMBER, EVERYWHERE, limit=2)) == 2
    with pytest.raises(InvalidRequest, match="severity: expected one of 1, 2, 3, 4"):
        list_warnings(results, DECEMBER, EVERYWHERE, severity=5)
    with pytest.raises(NotFound, match="no classification is published for 2025-10-31"):
        list_warnings(results, dt.date(2025, 10, 31), EVERYWHERE)


def test_dispositions_are_appended_and_the_latest_is_shown(results: ResultsStore) -> None:
    warning_id = f"20251231-{uscc_of(1)}"
    first_at = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
    first = record_disposition(results, warning_id, EVERYWHERE, status="in_progress",
                               action_taken="约谈", department="郑州市市场监督管理局",
                               key_id="k1", now=first_at)
    second = record_disposition(results, warning_id, Scope("4101"), status="resolved",
                                note="整改完成", now=first_at + dt.timedelta(days=3))
    assert second.disposition_id > first.disposition_id
    history = disposition_history(results, warning_id, EVERYWHERE)
    assert history == [first, second]
    assert history[0].recorded_at == first_at and history[0].department == "郑州市市场监督管理局"
    views = {v.warning_id: v for v in list_warnings(results, DECEMBER, EVERYWHERE)}
    assert views[warning_id].disposition == second
    assert views[f"20251231-{uscc_of(0)}"].disposition is None
    # a republication keeps the warning's dispositions
    publish(results, DECEMBER, period_rows(DECEMBER), warned=WARNED)
    assert disposition_history(results, warning_id, EVERYWHERE) == history
    with results.engine.connect() as connection, pytest.raises(sa.exc.DatabaseError):
        connection.execute(warning_dispositions.update().values(status="dismissed"))
    with results.engine.connect() as connection, pytest.raises(sa.exc.DatabaseError):
        connection.execute(warning_dispositions.delete())
    assert disposition_history(results, warning_id, EVERYWHERE) == history


def test_a_warning_outside_the_scope_or_unknown_is_not_found(results: ResultsStore) -> None:
    outside = f"20251231-{uscc_of(2)}"  # another prefecture
    messages = []
    for warning_id in (outside, f"20251231-{uscc_of(30)}", f"20251130-{uscc_of(0)}"):
        with pytest.raises(NotFound, match="no such warning in the published results") as e:
            record_disposition(results, warning_id, Scope("4101"), status="open")
        messages.append(str(e.value).replace(warning_id, "…"))
        with pytest.raises(NotFound):
            disposition_history(results, warning_id, Scope("4101"))
    assert len(set(messages)) == 1
    assert disposition_history(results, outside, EVERYWHERE) == []
    with pytest.raises(NotFound, match="no such warning"):
        warning_record(results, outside, Scope("4101"))


def test_a_warning_is_read_with_every_disposition(results: ResultsStore) -> None:
    warning_id = f"20251231-{uscc_of(3)}"
    empty = warning_record(results, warning_id, EVERYWHERE)
    assert empty.view.warning_id == warning_id and empty.view.warning.uscc == uscc_of(3)
    assert empty.view.disposition is None and empty.history == []
    at = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
    first = record_disposition(results, warning_id, EVERYWHERE, status="in_progress", now=at)
    second = record_disposition(results, warning_id, EVERYWHERE, status="resolved",
                                department="食品经营监管科", now=at + dt.timedelta(hours=1))
    found = warning_record(results, warning_id, EVERYWHERE)
    assert found.history == [first, second] and found.view.disposition == second
    assert found.view.warning == empty.view.warning
    with pytest.raises(InvalidRequest, match="warning_id: expected"):
        warning_record(results, "not-a-warning", EVERYWHERE)


@pytest.mark.parametrize(("warning_id", "arguments", "message"), [
    ("2025-12-31-x", {}, r"warning_id: expected the period as YYYYMMDD"),
    ("20251332-91410100MA00000000", {}, r"warning_id: expected"),
    ("20251231-91410100MA00000000", {"status": "done"},
     r"status: expected one of open, in_progress, resolved, dismissed, found 'done'"),
    ("20251231-91410100MA00000000", {"action_taken": "x" * 201},
     r"action_taken: expected text of at most 200 characters"),
    ("20251231-91410100MA00000000", {"now": dt.datetime(2026, 1, 1)},
     r"now: expected a time with its time zone"),
])
def test_malformed_dispositions_are_refused(results: ResultsStore, warning_id: str,
                                            arguments: dict[str, object], message: str) -> None:
    arguments = {"status": "open", **arguments}
    with pytest.raises(InvalidRequest, match=message):
        record_disposition(results, warning_id, EVERYWHERE, **arguments)  # type: ignore[arg-type]
    assert disposition_history(results, "20251231-91410100MA00000000", EVERYWHERE) == []

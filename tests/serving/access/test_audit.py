"""The audit log: appended as a hash chain from many threads and processes at once; an edited,
deleted or inserted entry is found, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import fcntl
import itertools
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from serving.access.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditLog,
    append_lock_path,
    entry_hash,
)
from serving.results.schema import audit_log
from serving.results.store import ResultsStore

AT = dt.datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=dt.UTC)


def entry(number: int = 0, **changes: Any) -> AuditEntry:
    fields: dict[str, Any] = {
        "at": AT + dt.timedelta(seconds=number), "key_id": "0123456789ab", "role": "regulator",
        "method": "GET", "route": "/v1/enterprises/{uscc}/explanation",
        "parameters": {"uscc": f"91410100MA{number:08d}", "period": "2026-02-28", "n": number,
                       "地区": "郑州"},
        "status": 200, "rows": 1, "request_id": f"req-{number}"}
    return AuditEntry(**(fields | changes))


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    store = ResultsStore(database_url).migrate()
    yield store.engine
    store.engine.dispose()


@pytest.fixture
def log(engine: sa.Engine) -> AuditLog:
    return AuditLog(engine)


def filled(log: AuditLog, entries: int = 5) -> AuditLog:
    for number in range(1, entries + 1):
        assert log.append(entry(number)) == number
    return log


def tamper(engine: sa.Engine, *statements: str) -> None:
    """Run ``statements`` as an attacker with database access: drop the triggers first."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_change ON audit_log")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        for statement in statements:
            connection.exec_driver_sql(statement)


def test_chain_of_appends_verifies(log: AuditLog) -> None:
    filled(log)
    found = log.verify()
    assert (found.entries, found.ok, found.broken_at, found.reason) == (5, True, None, None)
    tail = log.tail()
    assert [s.seq for s in tail] == [1, 2, 3, 4, 5]
    assert found.last_hash == tail[-1].entry_hash
    assert tail[0].previous_hash == GENESIS_HASH
    assert all(b.previous_hash == a.entry_hash for a, b in itertools.pairwise(tail))


def test_entries_read_back_as_written(log: AuditLog) -> None:
    written = entry(7, at=dt.datetime(2026, 3, 1, 16, 0, 0, 5, tzinfo=dt.timezone(
        dt.timedelta(hours=8))), key_id=None, role=None, status=401, rows=0,
        parameters={"nested": {"list": [1, 2.5, None, True]}})
    log.append(written)
    (stored,) = log.tail()
    assert stored.entry.at == written.at and stored.entry.at.tzinfo == dt.UTC
    assert dict(stored.entry.parameters) == {"nested": {"list": [1, 2.5, None, True]}}
    assert (stored.entry.key_id, stored.entry.role, stored.entry.status) == (None, None, 401)
    assert stored.entry_hash == entry_hash(1, written, GENESIS_HASH)


def test_tail_is_the_latest_oldest_first(log: AuditLog) -> None:
    filled(log, 6)
    assert [s.seq for s in log.tail(limit=2)] == [5, 6]
    with pytest.raises(ValueError, match="limit: expected a whole number ≥ 1, found 0"):
        log.tail(0)


def test_empty_log_verifies(log: AuditLog) -> None:
    found = log.verify()
    assert (found.entries, found.ok, found.last_hash) == (0, True, None)


def test_triggers_refuse_changes(log: AuditLog, engine: sa.Engine) -> None:
    filled(log, 2)
    for statement in (audit_log.update().values(status=500), audit_log.delete()):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as c:
            c.execute(statement)


@pytest.mark.parametrize("edit", [
    "UPDATE audit_log SET status = 404 WHERE seq = 3",
    "UPDATE audit_log SET parameters = '{\"uscc\":\"91410100MA00000099\"}' WHERE seq = 3",
    "UPDATE audit_log SET key_id = NULL WHERE seq = 3",
    "UPDATE audit_log SET request_id = 'forged' WHERE seq = 3",
    "UPDATE audit_log SET entry_hash = previous_hash WHERE seq = 3",
])
def test_edit_is_found(log: AuditLog, engine: sa.Engine, edit: str) -> None:
    tamper(filled(log).engine, edit)
    found = log.verify()
    assert (found.ok, found.broken_at, found.entries) == (False, 3, 3)
    assert found.reason is not None and found.reason.startswith("seq 3: ")


def test_edited_time_is_found(log: AuditLog, engine: sa.Engine) -> None:
    filled(log)
    with engine.connect() as connection:
        shifted = connection.execute(sa.select(audit_log.c.at).where(
            audit_log.c.seq == 2)).scalar_one() + dt.timedelta(microseconds=1)
    tamper(engine)
    with engine.begin() as connection:
        connection.execute(audit_log.update().where(audit_log.c.seq == 2).values(at=shifted))
    found = log.verify()
    assert (found.ok, found.broken_at) == (False, 2)
    assert "edited" in str(found.reason)


def test_deleted_entry_is_found(log: AuditLog, engine: sa.Engine) -> None:
    tamper(filled(log).engine, "DELETE FROM audit_log WHERE seq = 2")
    found = log.verify()
    assert (found.ok, found.broken_at) == (False, 3)
    assert found.reason == "seq 3: expected seq 2, found 3: an entry before it was deleted"


def test_first_entry_deleted_is_found(log: AuditLog, engine: sa.Engine) -> None:
    tamper(filled(log).engine, "DELETE FROM audit_log WHERE seq = 1")
    assert log.verify().broken_at == 2


def test_deletion_closed_up_is_found(log: AuditLog, engine: sa.Engine) -> None:
    """Delete entry 2 and renumber the rest down: the link of the next entry breaks."""
    tamper(filled(log).engine, "DELETE FROM audit_log WHERE seq = 2",
           "UPDATE audit_log SET seq = -(seq - 1) WHERE seq > 2",
           "UPDATE audit_log SET seq = -seq WHERE seq < 0")
    found = log.verify()
    assert (found.ok, found.broken_at) == (False, 2)
    assert "previous hash" in str(found.reason)


def test_inserted_entry_is_found(log: AuditLog, engine: sa.Engine) -> None:
    """Make room at 3 and slip a forged entry in, linked to entry 2 and hashed correctly."""
    filled(log)
    (second,) = [s for s in log.tail() if s.seq == 2]
    forged = entry(99, request_id="forged")
    tamper(engine, "UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= 3",
           "UPDATE audit_log SET seq = -seq WHERE seq < 0")
    with engine.begin() as connection:
        connection.execute(audit_log.insert().values(
            seq=3, at=forged.at, key_id=forged.key_id, role=forged.role, method=forged.method,
            route=forged.route, parameters='{"n":99}', status=200, rows=1,
            request_id=forged.request_id, previous_hash=second.entry_hash,
            entry_hash=entry_hash(3, entry(99, request_id="forged", parameters={"n": 99}),
                                  second.entry_hash)))
    found = log.verify()
    assert (found.ok, found.broken_at) == (False, 4)  # the forged entry itself hashes right
    assert "previous hash" in str(found.reason)


def test_entry_appended_outside_the_chain_is_found(log: AuditLog, engine: sa.Engine) -> None:
    filled(log, 3)
    with engine.begin() as connection:  # no trigger stops an INSERT
        connection.execute(audit_log.insert().values(
            seq=4, at=AT, key_id=None, role=None, method="GET", route="/v1/x",
            parameters="{}", status=200, rows=0, request_id="x", previous_hash=GENESIS_HASH,
            entry_hash="f" * 64))
    assert (log.verify().broken_at, log.verify().ok) == (4, False)


def test_appends_from_threads_keep_the_chain(log: AuditLog) -> None:
    failures: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            for number in range(15):
                log.append(entry(worker * 100 + number))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=append, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    found = log.verify()
    assert (found.ok, found.entries) == (True, 60)
    assert sorted(s.entry.request_id for s in log.tail(100)) == sorted(
        f"req-{w * 100 + n}" for w in range(4) for n in range(15))


def _append_from_process(url: str, worker: int, start: Any, done: Any) -> None:
    store = ResultsStore(url)
    log = AuditLog(store.engine)
    start.wait()
    try:
        for number in range(20):
            log.append(entry(worker * 100 + number))
        done.put("ok")
    except BaseException as error:
        done.put(repr(error))
    finally:
        store.engine.dispose()


def test_appends_from_two_processes_keep_the_chain(log: AuditLog, database_url: str) -> None:
    log.append(entry(0))
    log.engine.dispose()  # nothing of the parent's pool crosses the fork
    context = multiprocessing.get_context("fork")
    start, done = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_append_from_process,
                               args=(database_url, w + 1, start, done)) for w in range(2)]
    for worker in workers:
        worker.start()
    outcomes = [done.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert outcomes == ["ok", "ok"]
    found = log.verify()
    assert (found.ok, found.entries) == (True, 41)
    workers_seen = [s.entry.request_id[4] for s in log.tail(41)[1:]]
    assert workers_seen.count("1") == workers_seen.count("2") == 20


def test_appends_to_a_sqlite_file_queue_on_its_lock_file(log: AuditLog) -> None:
    """An append waits in the kernel for the holder of the lock file beside the database and
    goes on the moment it is released (SQLite's busy handler would sleep and retry)."""
    path = append_lock_path(log.engine)
    if log.engine.dialect.name == "postgresql":
        assert path is None  # the advisory lock serialises appends there
        return
    assert path == f"{log.engine.url.database}.audit-lock"
    log.append(entry(0))
    holder = os.open(path, os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)
    appended: list[float] = []
    thread = threading.Thread(target=lambda: (log.append(entry(1)),
                                              appended.append(time.perf_counter())))
    thread.start()
    time.sleep(0.3)
    assert appended == []  # waiting on the lock, not written around it
    released = time.perf_counter()
    os.close(holder)
    thread.join(timeout=10)
    assert appended and appended[0] - released < 0.25
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    found = log.verify()
    assert (found.ok, found.entries) == (True, 2)


@pytest.mark.parametrize(("changes", "message"), [
    ({"at": dt.datetime(2026, 3, 1)}, "at: expected a timezone-aware datetime"),
    ({"method": "PROPFINDX"}, "method: expected a text of 1 to 8 characters"),
    ({"route": ""}, "route: expected a text of 1 to 200 characters"),
    ({"request_id": None}, "request_id: expected a text of 1 to 64 characters, found None"),
    ({"key_id": 12}, "key_id: expected a text of 1 to 16 characters or None, found 12"),
    ({"status": True}, "status: expected a whole number ≥ 0, found True"),
    ({"rows": -1}, "rows: expected a whole number ≥ 0, found -1"),
    ({"parameters": ["uscc"]}, "parameters: expected a mapping, found list"),
    ({"parameters": {"when": dt.date(2026, 1, 1)}}, "parameters: expected JSON values"),
    ({"parameters": {"n": float("nan")}}, "parameters: expected JSON values"),
])
def test_bad_entry_is_refused(log: AuditLog, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        log.append(entry(1, **changes))
    assert log.verify().entries == 0


def test_a_key_passed_by_mistake_is_stored_redacted(log: AuditLog, engine: sa.Engine) -> None:
    plaintext = "ecr_0123456789ab_" + "aZ-_9" * 8 + "abc"
    log.append(entry(1, parameters={"authorization": f"Bearer {plaintext}",
                                    "keys": [plaintext], plaintext: 1}))
    with engine.connect() as connection:
        stored = connection.execute(sa.select(audit_log)).mappings().one()
    assert "aZ-_9" not in str(dict(stored))
    assert dict(log.tail()[0].entry.parameters) == {
        "authorization": "Bearer ecr_0123456789ab_[redacted]",
        "keys": ["ecr_0123456789ab_[redacted]"], "ecr_0123456789ab_[redacted]": 1}
    assert log.verify().ok


def test_a_batch_appends_in_order_and_continues_the_chain(log: AuditLog) -> None:
    assert log.append(entry(0)) == 1
    assert log.append_many([entry(n) for n in range(1, 6)]) == [2, 3, 4, 5, 6]
    assert log.append_many([]) == []
    assert log.append(entry(6)) == 7
    report = log.verify()
    assert report.ok and report.entries == 7
    assert [stored.entry.request_id for stored in log.tail(7)] == [f"req-{n}" for n in range(7)]


def test_a_batch_with_a_bad_entry_writes_nothing(log: AuditLog) -> None:
    with pytest.raises(ValueError, match="rows: expected a whole number"):
        log.append_many([entry(1), entry(2, rows=-1)])
    assert log.verify().entries == 0

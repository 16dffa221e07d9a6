"""Idempotency records on SQLite and PostgreSQL: a replay gets the stored answer and runs
nothing, another body under the same key is a conflict, simultaneous duplicates run once, a
failed run frees its key, and old records are purged."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from serving.results.idempotency import (
    IdempotencyConflict,
    IdempotencyInProgress,
    IdempotencyRecords,
    request_digest,
    with_idempotency,
)
from serving.results.schema import idempotency_keys
from serving.results.store import ResultsStore

ROUTE = "POST /v1/inspection-results"
BODY = b'{"items": [{"uscc": "91350200776049653A"}]}'


@pytest.fixture
def records(database_url: str) -> IdempotencyRecords:
    return IdempotencyRecords(ResultsStore(database_url).migrate().engine)


def counting(answer: dict[str, Any], status: int = 201) -> tuple[list[int], Callable]:
    calls: list[int] = []

    def run() -> tuple[int, dict[str, Any]]:
        calls.append(1)
        return status, answer

    return calls, run


def age(records: IdempotencyRecords, key: str, by: dt.timedelta) -> None:
    """Move a record's creation back in time by ``by``."""
    with records.engine.begin() as connection:
        created = connection.execute(sa.select(idempotency_keys.c.created_at).where(
            idempotency_keys.c.idempotency_key == key)).scalar_one()
        connection.execute(idempotency_keys.update().where(
            idempotency_keys.c.idempotency_key == key).values(created_at=created - by))


def test_a_replay_gets_the_stored_answer_and_runs_nothing(records: IdempotencyRecords) -> None:
    calls, run = counting({"accepted": 1, "store_version": "v000002"})
    first = with_idempotency(records, "k1", "key-1", ROUTE, BODY, run)
    again = with_idempotency(records, "k1", "key-1", ROUTE, BODY, run)
    assert first == (201, {"accepted": 1, "store_version": "v000002"}, False)
    assert again == (201, {"accepted": 1, "store_version": "v000002"}, True)
    assert len(calls) == 1
    stored = records.lookup("k1", "key-1")
    assert stored is not None and not stored.in_progress
    assert (stored.route, stored.request_sha256, stored.status) == (ROUTE, request_digest(BODY),
                                                                    201)


def test_the_same_key_with_another_body_or_route_is_a_conflict(
        records: IdempotencyRecords) -> None:
    calls, run = counting({"accepted": 1})
    with_idempotency(records, "k1", "key-1", ROUTE, BODY, run)
    with pytest.raises(IdempotencyConflict, match="'key-1': already used for another request "
                                                  "body"):
        with_idempotency(records, "k1", "key-1", ROUTE, BODY + b" ", run)
    with pytest.raises(IdempotencyConflict, match=f"already used for route {ROUTE}"):
        with_idempotency(records, "k1", "key-1", "POST /v1/other", BODY, run)
    assert len(calls) == 1
    # keys are scoped per API key: another caller's same key is its own
    assert with_idempotency(records, "k2", "key-1", ROUTE, BODY + b" ", run)[2] is False
    assert len(calls) == 2


def test_without_a_key_the_write_simply_runs(records: IdempotencyRecords) -> None:
    calls, run = counting({"accepted": 1})
    for _ in range(2):
        assert with_idempotency(records, "k1", None, ROUTE, BODY, run) == (201, {"accepted": 1},
                                                                           False)
    assert len(calls) == 2
    with records.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(
            idempotency_keys)).scalar_one() == 0


def test_a_duplicate_while_the_first_runs_is_in_progress(records: IdempotencyRecords) -> None:
    started, finish = threading.Event(), threading.Event()
    answers: list[tuple[int, dict[str, Any], bool]] = []

    def slow() -> tuple[int, dict[str, Any]]:
        started.set()
        assert finish.wait(30)
        return 201, {"accepted": 2}

    first = threading.Thread(target=lambda: answers.append(
        with_idempotency(records, "k1", "key-1", ROUTE, BODY, slow)))
    first.start()
    assert started.wait(30)
    calls, run = counting({"accepted": 99})
    try:
        with pytest.raises(IdempotencyInProgress, match="still running"):
            with_idempotency(records, "k1", "key-1", ROUTE, BODY, run)
        with pytest.raises(IdempotencyConflict):  # another body is refused even meanwhile
            with_idempotency(records, "k1", "key-1", ROUTE, b"{}", run)
    finally:
        finish.set()
        first.join(30)
    assert answers == [(201, {"accepted": 2}, False)] and calls == []
    assert with_idempotency(records, "k1", "key-1", ROUTE, BODY, run) == (201, {"accepted": 2},
                                                                          True)


def test_simultaneous_duplicates_run_once(records: IdempotencyRecords) -> None:
    threads = 4
    barrier = threading.Barrier(threads)
    calls: list[int] = []
    lock = threading.Lock()
    outcomes: list[str] = []

    def run() -> tuple[int, dict[str, Any]]:
        with lock:
            calls.append(1)
        return 201, {"accepted": 1}

    def request() -> None:
        barrier.wait(30)
        try:
            _, _, replayed = with_idempotency(records, "k1", "same", ROUTE, BODY, run)
            outcome = "replayed" if replayed else "ran"
        except IdempotencyInProgress:
            outcome = "in progress"
        with lock:
            outcomes.append(outcome)

    workers = [threading.Thread(target=request) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert len(calls) == 1 and outcomes.count("ran") == 1 and len(outcomes) == threads


def test_a_failed_run_frees_the_key_for_a_retry(records: IdempotencyRecords) -> None:
    def broken() -> tuple[int, dict[str, Any]]:
        raise RuntimeError("store unavailable")

    with pytest.raises(RuntimeError, match="store unavailable"):
        with_idempotency(records, "k1", "key-1", ROUTE, BODY, broken)
    assert records.lookup("k1", "key-1") is None
    calls, run = counting({"accepted": 1})
    assert with_idempotency(records, "k1", "key-1", ROUTE, BODY, run)[2] is False
    assert len(calls) == 1


def test_an_answer_that_is_not_json_frees_the_key(records: IdempotencyRecords) -> None:
    calls, run = counting({"when": dt.date(2026, 1, 5)})
    with pytest.raises(ValueError, match="response: expected a JSON object"):
        with_idempotency(records, "k1", "key-1", ROUTE, BODY, run)
    assert records.lookup("k1", "key-1") is None and len(calls) == 1


@pytest.mark.parametrize(("key", "problem"), [
    ("", "expected 1 to 200 characters, found 0"),
    ("x" * 201, "expected 1 to 200 characters, found 201"),
    ("line\nbreak", r"expected printable ASCII characters only, found '\\n' at position 4"),
    ("clé", "expected printable ASCII characters only, found 'é' at position 2"),
])
def test_a_malformed_key_is_refused_naming_it(records: IdempotencyRecords, key: str,
                                              problem: str) -> None:
    calls, run = counting({"accepted": 1})
    with pytest.raises(ValueError, match=f"^Idempotency-Key: {problem}"):
        with_idempotency(records, "k1", key, ROUTE, BODY, run)
    assert calls == []


def test_old_answers_expire_and_are_purged_on_save(records: IdempotencyRecords) -> None:
    calls, run = counting({"accepted": 1})
    with_idempotency(records, "k1", "old", ROUTE, BODY, run)
    age(records, "old", dt.timedelta(hours=25))
    assert records.lookup("k1", "old") is None  # past the retention: never replayed
    records.save("k1", "new", ROUTE, request_digest(BODY), 201, {"accepted": 1})
    with records.engine.connect() as connection:
        kept = connection.execute(sa.select(idempotency_keys.c.idempotency_key)).scalars()
        assert sorted(kept) == ["new"]
    with_idempotency(records, "k1", "new", ROUTE, BODY, run)
    assert len(calls) == 1
    short = IdempotencyRecords(records.engine, retention=dt.timedelta(minutes=30))
    age(records, "new", dt.timedelta(hours=1))
    assert with_idempotency(short, "k1", "new", ROUTE, b"another body", run)[2] is False
    assert len(calls) == 2


def test_an_abandoned_reservation_is_taken_over(records: IdempotencyRecords) -> None:
    held, reserved = records.reserve("k1", "key-1", ROUTE, request_digest(BODY))
    assert reserved and held.in_progress
    calls, run = counting({"accepted": 1})
    with pytest.raises(IdempotencyInProgress):
        with_idempotency(records, "k1", "key-1", ROUTE, BODY, run)
    age(records, "key-1", dt.timedelta(minutes=16))  # its process died long ago
    assert with_idempotency(records, "k1", "key-1", ROUTE, BODY, run) == (201, {"accepted": 1},
                                                                          False)
    assert len(calls) == 1
    with pytest.raises(IdempotencyInProgress, match="taken over as abandoned"):
        records.save("k1", "key-1", ROUTE, request_digest(BODY), 201, {}, held)


def test_retention_and_expiry_must_be_positive(records: IdempotencyRecords) -> None:
    with pytest.raises(ValueError, match="retention: expected a positive timedelta"):
        IdempotencyRecords(records.engine, retention=dt.timedelta(0))
    with pytest.raises(ValueError, match="key_id: expected an API key id of 1 to 16"):
        records.reserve("k" * 17, "key-1", ROUTE, request_digest(BODY))

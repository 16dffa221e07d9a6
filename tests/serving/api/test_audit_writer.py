"""The audit group commit: concurrent requests' entries share transactions, every request
gets its own seq once committed, the chain holds, and a failed commit fails every request of
its batch (never silently)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

import pytest
import sqlalchemy as sa

from serving.access.audit import AuditEntry, AuditLog
from serving.api.audit_writer import AuditWriter
from serving.results.store import ResultsStore

AT = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


def entry(number: int, **changes: object) -> AuditEntry:
    fields: dict = {"at": AT, "key_id": "0123456789ab", "role": "sampling", "method": "GET",
                    "route": "/v1/periods", "parameters": {"n": number}, "status": 200,
                    "rows": 1, "request_id": f"req-{number}"}
    return AuditEntry(**(fields | changes))


class CountingLog(AuditLog):
    """An audit log that counts its transactions."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        self.batches: list[int] = []

    def append_many(self, entries: Sequence[AuditEntry]) -> list[int]:
        self.batches.append(len(entries))
        return super().append_many(entries)


@pytest.fixture
def log(database_url: str) -> CountingLog:
    return CountingLog(ResultsStore(database_url).migrate().engine)


def test_concurrent_entries_are_committed_together(log: CountingLog) -> None:
    async def run() -> list[int]:
        writer = AuditWriter(log, max_batch=64)
        return await asyncio.gather(*(writer.write(entry(n)) for n in range(200)))

    seqs = asyncio.run(run())
    assert seqs == list(range(1, 201))  # each request has its own entry, in arrival order
    assert sum(log.batches) == 200 and max(log.batches) <= 64
    assert len(log.batches) < 200 / 4  # shared commits, not one per request
    assert log.verify().ok and log.verify().entries == 200


def test_a_lone_entry_is_written_at_once(log: CountingLog) -> None:
    async def run() -> list[int]:
        writer = AuditWriter(log)
        return [await writer.write(entry(n)) for n in range(3)]

    assert asyncio.run(run()) == [1, 2, 3]
    assert log.batches == [1, 1, 1]


def test_a_malformed_entry_fails_alone(log: CountingLog) -> None:
    async def run() -> list[object]:
        writer = AuditWriter(log)
        return await asyncio.gather(writer.write(entry(1)), writer.write(entry(2, rows=-1)),
                                    writer.write(entry(3)), return_exceptions=True)

    first, bad, third = asyncio.run(run())
    assert isinstance(bad, ValueError) and "rows" in str(bad)
    assert (first, third) == (1, 2)


def test_a_failed_commit_fails_every_request_of_its_batch(log: CountingLog) -> None:
    with log.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE audit_log RENAME TO audit_log_away")
    try:
        async def run() -> list[object]:
            writer = AuditWriter(log)
            return await asyncio.gather(*(writer.write(entry(n)) for n in range(10)),
                                        return_exceptions=True)

        outcomes = asyncio.run(run())
        assert all(isinstance(outcome, Exception) and "audit_log" in str(outcome)
                   for outcome in outcomes), outcomes
    finally:
        with log.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE audit_log_away RENAME TO audit_log")
    assert log.verify().entries == 0

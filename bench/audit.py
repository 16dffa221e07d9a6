"""Benchmark: audit-log appends per second on SQLite (a file, WAL) and PostgreSQL — each
entry its own serialised transaction (read the last hash, insert the next entry) from one
thread and from 4 threads, the baseline; then the service's group commit
(`serving.api.audit_writer.AuditWriter`) with 64 requests in flight in one event loop — and
the rate `AuditLog.verify` walks the chain at.

Every request the service answers appends one entry, so the append rate bounds the audited
request rate of the whole service (every worker process shares the one chain).

    .venv/bin/python bench/audit.py                              # 2,000 appends per case
    .venv/bin/python bench/audit.py --appends 500 --postgres none
    .venv/bin/python bench/audit.py --postgres postgresql+psycopg://user@host/db
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from serving.access.audit import AuditEntry, AuditLog
from serving.results.store import ResultsStore

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def entry(number: int) -> AuditEntry:
    return AuditEntry(at=dt.datetime.now(dt.UTC), key_id="0123456789ab", role="regulator",
                      method="GET", route="/v1/enterprises/{uscc}/explanation",
                      parameters={"uscc": f"91410100MA{number:08d}", "period": "2026-02-28"},
                      status=200, rows=1, request_id=uuid.uuid4().hex)


def appends_per_second(log: AuditLog, appends: int, threads: int) -> float:
    """Append ``appends`` entries split over ``threads`` threads; entries per second."""
    share = appends // threads
    failures: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            for number in range(share):
                log.append(entry(worker * share + number))
        except BaseException as error:
            failures.append(error)

    workers = [threading.Thread(target=run, args=(w,)) for w in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise failures[0]
    return share * threads / elapsed


def grouped_per_second(log: AuditLog, appends: int, in_flight: int = 64) -> tuple[float, int]:
    """``appends`` entries from ``in_flight`` concurrent writers through one `AuditWriter`;
    entries per second and the number of transactions."""
    import asyncio

    from serving.api.audit_writer import AuditWriter

    transactions = 0
    append_many = log.append_many

    def counted(entries):  # type: ignore[no-untyped-def]
        nonlocal transactions
        transactions += 1
        return append_many(entries)

    log.append_many = counted  # type: ignore[method-assign]

    async def run() -> None:
        writer = AuditWriter(log)
        share = appends // in_flight

        async def one(worker: int) -> None:
            for number in range(share):
                await writer.write(entry(worker * share + number))

        await asyncio.gather(*(one(w) for w in range(in_flight)))

    started = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - started
    del log.append_many
    return appends // in_flight * in_flight / elapsed, transactions


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema on the server at ``url``, dropped afterwards; its URL selects it."""
    schema = f"ecr_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def measure(name: str, url: str, appends: int) -> None:
    store = ResultsStore(url).migrate()
    log = AuditLog(store.engine)
    for threads in (1, 4):
        rate = appends_per_second(log, appends, threads)
        print(f"{name:<18} {threads} thread{'s' if threads > 1 else ' '}  "
              f"{rate:8,.0f} appends/s (one transaction each)")
    rate, transactions = grouped_per_second(log, appends * 4)
    print(f"{name:<18} grouped    {rate:8,.0f} appends/s (64 in flight, "
          f"{transactions:,} transactions for {appends * 4:,} entries)")
    started = time.perf_counter()
    found = log.verify()
    elapsed = time.perf_counter() - started
    if not found.ok:
        raise SystemExit(f"{name}: chain broken after the benchmark: {found.reason}")
    print(f"{name:<18} verify     {found.entries / elapsed:8,.0f} entries/s "
          f"({found.entries:,} entries, intact)")
    store.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=2000, help="Appends per case.")
    parser.add_argument("--postgres", default=POSTGRES,
                        help="PostgreSQL server to measure on ('none' to skip).")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        measure("SQLite (file, WAL)", f"sqlite:///{Path(folder) / 'results.db'}",
                arguments.appends)
    if arguments.postgres != "none":
        with postgres_schema(arguments.postgres) as url:
            measure("PostgreSQL", url, arguments.appends)


if __name__ == "__main__":
    main()

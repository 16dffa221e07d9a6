"""The results store's connection pool: sized for a service's threads, reused, not churned."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import sqlalchemy as sa

from serving.results.store import ResultsStore

THREADS = 12


def _connects_under(results: ResultsStore, rounds: int = 5) -> int:
    """Connections opened while ``THREADS`` threads read at once, ``rounds`` times."""
    opened = 0

    def count(*_: object) -> None:
        nonlocal opened
        opened += 1

    sa.event.listen(results.engine, "connect", count)
    together = Barrier(THREADS)

    def read(_: int) -> int:
        with results.engine.connect() as connection:
            together.wait(timeout=30)  # every thread holds its connection at once
            return connection.execute(sa.text("select 1")).scalar_one()

    with ThreadPoolExecutor(THREADS) as pool:
        for _ in range(rounds):
            assert list(pool.map(read, range(THREADS))) == [1] * THREADS
    return opened


def test_a_sized_pool_keeps_the_connections_of_concurrent_requests(database_url: str) -> None:
    results = ResultsStore(database_url, pool_size=THREADS)
    try:
        assert _connects_under(results) == THREADS
    finally:
        results.engine.dispose()


def test_the_default_pool_closes_what_it_opens_beyond_five(database_url: str) -> None:
    """Why the service sizes its pool: each round reopens the connections beyond the 5."""
    results = ResultsStore(database_url)
    try:
        assert _connects_under(results) == 5 + 5 * (THREADS - 5)
    finally:
        results.engine.dispose()


def test_an_in_memory_database_ignores_the_size() -> None:
    results = ResultsStore("sqlite://", pool_size=THREADS)
    with results.engine.connect() as connection:
        assert connection.execute(sa.text("select 1")).scalar_one() == 1

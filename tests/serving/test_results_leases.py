"""One writer per period (F8): a live run's lease refuses a second writer, only runs whose
writer died are discarded, a failed run is removed, and an empty batch writes nothing (F13)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from serving.results.schema import leases
from serving.results.store import PeriodBusy, ResultsStore
from tests.serving.test_results_store import PERIOD, begin, dead_pid, result_rows


def writing_runs(store: ResultsStore) -> int:
    with store.engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT count(*) FROM classification_runs WHERE status = 'writing'").scalar()


def test_a_second_writer_of_a_period_is_refused_while_the_first_lives(
        database_url: str) -> None:
    first_store = ResultsStore(database_url).migrate()
    second_store = ResultsStore(database_url)
    first = begin(first_store)
    first_store.write_results(first, result_rows(5, 100.0))
    with pytest.raises(PeriodBusy, match=f"{PERIOD} is being written by run {first}"):
        begin(second_store)
    first_store.write_results(first, result_rows(5, 100.0, start=5))
    run = first_store.publish(first)
    assert run.status == "published" and run.rows == 10
    assert second_store.published_results(PERIOD).num_rows == 10
    other = begin(second_store, PERIOD - dt.timedelta(days=30))  # other periods are free
    second_store.abandon(other)
    again = begin(second_store)  # the lease went with the publication
    assert second_store.run(again).status == "writing"


def test_only_a_run_whose_writer_died_is_discarded(database_url: str) -> None:
    store = ResultsStore(database_url).migrate()
    live = begin(store)
    store.write_results(live, result_rows(3, 900.0))
    assert store.discard_unpublished(PERIOD) == 0
    assert store.run(live).rows == 3
    with store.engine.begin() as connection:
        connection.execute(leases.update().values(pid=dead_pid()))
    assert store.discard_unpublished(PERIOD) == 3
    with pytest.raises(sa.exc.NoResultFound):
        store.run(live)


def test_a_lease_from_another_host_lives_until_it_expires(database_url: str) -> None:
    store = ResultsStore(database_url).migrate()
    elsewhere = begin(store)
    with store.engine.begin() as connection:
        connection.execute(leases.update().values(host="another-host"))
    with pytest.raises(PeriodBusy, match="on another-host"):
        begin(store)
    with store.engine.begin() as connection:
        connection.execute(leases.update().values(
            renewed_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))
    taken = begin(store)
    assert store.run(taken).status == "writing"
    with pytest.raises(sa.exc.NoResultFound):
        store.run(elsewhere)
    with pytest.raises(PeriodBusy, match="no longer holds"):
        store.write_results(elsewhere, result_rows(1, 1.0))


def test_a_failed_run_is_removed_and_frees_its_period(database_url: str) -> None:
    store = ResultsStore(database_url).migrate()
    with pytest.raises(RuntimeError, match="scoring failed"), store.writing_run(
            PERIOD, "monthly", "models:/m@champion", "m/1", "r1", "henan", "sha256:data",
            "v1") as run_id:
        store.write_results(run_id, result_rows(4, 100.0))
        raise RuntimeError("scoring failed")
    assert writing_runs(store) == 0
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM results").scalar() == 0
    store.publish(begin(store))


def test_an_empty_batch_writes_nothing(database_url: str) -> None:
    store = ResultsStore(database_url).migrate()
    run = begin(store)
    assert store.write_results(run, result_rows(0, 1.0)) == 0
    store.finish(run)
    assert store.run(run).rows == 0 and store.run(run).status == "recorded"

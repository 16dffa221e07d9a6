"""Migration 0006 on SQLite and PostgreSQL: a store at 0005 holding a draw gains the indexes
of the per-enterprise and per-window draw lookups, its draws read the same through them (the
planner uses them), and a downgrade drops them and nothing else."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from serving.results.draws import DrawBook, DrawRow, PopulationRow, TargetRow
from serving.results.schema import runs
from serving.results.store import ResultsStore
from tests.serving.test_migration_0004 import migrate

NOW = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
USCC = "92411329L8W19YPA4P"
INDEXES = {"draw_targets": ("ix_draw_targets_uscc", ["uscc"]),
           "draws": ("ix_draws_drawn_on", ["drawn_on"])}
LOOKUPS = {"ix_draw_targets_uscc": f"SELECT draw_id FROM draw_targets WHERE uscc = '{USCC}'",
           "ix_draws_drawn_on": "SELECT draw_id FROM draws WHERE drawn_on >= '2026-01-01'"}


def _indexes(store: ResultsStore) -> dict[str, dict[str, list[str]]]:
    inspector = sa.inspect(store.engine)
    return {table: {i["name"]: i["column_names"] for i in inspector.get_indexes(table)}
            for table in INDEXES}


def _plan(store: ResultsStore, sql: str) -> str:
    with store.engine.connect() as connection:
        if store.engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET enable_seqscan = off")  # tiny tables: else a scan
            rows = connection.exec_driver_sql(f"EXPLAIN {sql}").all()
        else:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def _write_draw(store: ResultsStore) -> DrawRow:
    with store.engine.begin() as connection:
        connection.execute(sa.insert(runs), [{
            "run_id": "run-1", "period": dt.date(2025, 12, 31), "kind": "monthly",
            "status": "published", "model_uri": "m", "model_version": "v", "rules_version": "r",
            "profile": "henan", "data_fingerprint": "f", "store_version": "v000001",
            "started_at": NOW}])
    draw = DrawRow("DRW-20251231-000000000001", dt.date(2025, 12, 31), "run-1", "GEN",
                   "combined", None, NOW.date(), NOW, "cli:test", 1, 1, "0" * 64, "{}", "1" * 64)
    DrawBook(store.engine).write(
        draw, [PopulationRow(USCC, "C", False, "GEN-01")],
        [TargetRow(USCC, "C", "411329", "random", None, "1", 1, "2" * 64, "GEN-01")], [], [])
    return draw


def test_0006_indexes_the_enterprise_and_window_lookups_and_downgrades(
        database_url: str) -> None:
    store = ResultsStore(database_url)
    migrate(store, "0005")
    draw = _write_draw(store)
    before = _indexes(store)
    assert not any(name in before[table] for table, (name, _) in INDEXES.items())

    migrate(store, "0006")
    after = _indexes(store)
    for table, (name, columns) in INDEXES.items():
        assert after[table][name] == columns
        assert {k: v for k, v in after[table].items() if k != name} == before[table]
    for name, sql in LOOKUPS.items():
        assert name in _plan(store, sql), (name, _plan(store, sql))
    book = DrawBook(store.engine)
    [(found, target)] = book.of_enterprise(USCC)
    assert found == draw and target.uscc == USCC
    assert book.recent_targets(NOW.date(), NOW + dt.timedelta(seconds=1)) == {USCC}

    migrate(store, "0005", down=True)
    assert _indexes(store) == before
    assert [d for d, _ in book.of_enterprise(USCC)] == [draw]  # slower, same answer
    store.migrate()
    assert _indexes(store) == after

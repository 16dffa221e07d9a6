"""Migration 0005 on SQLite and PostgreSQL: the draw tables exist, take a whole draw, refuse
UPDATE and DELETE (append-only), take one cancellation per draw, and go on downgrade."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from serving.results.draws import (
    AssignmentRow,
    DrawBook,
    DrawRow,
    ExclusionRow,
    PopulationRow,
    TargetRow,
)
from serving.results.schema import DRAW_TABLES, runs
from serving.results.store import ResultsStore
from tests.serving.test_migration_0004 import migrate

NOW = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
USCC = "92411329L8W19YPA4P"


def test_0005_keeps_draws_append_only_and_downgrades(database_url: str) -> None:
    store = ResultsStore(database_url).migrate()
    with store.engine.begin() as connection:
        connection.execute(sa.insert(runs), [{
            "run_id": "run-1", "period": dt.date(2025, 12, 31), "kind": "monthly",
            "status": "published", "model_uri": "m", "model_version": "v", "rules_version": "r",
            "profile": "henan", "data_fingerprint": "f", "store_version": "v000001",
            "started_at": NOW}])
    book = DrawBook(store.engine)
    draw = DrawRow("DRW-20251231-000000000001", dt.date(2025, 12, 31), "run-1", "GEN",
                   "combined", None, NOW.date(), NOW, "cli:test", 1, 1, "0" * 64, "{}", "1" * 64)
    book.write(draw, [PopulationRow(USCC, "C", False, "GEN-01")],
               [TargetRow(USCC, "C", "411329", "random", None, "1", 1, "2" * 64, "GEN-01")],
               [AssignmentRow(USCC, "INS-1", "unit", "SCJG")],
               [ExclusionRow(USCC, "INS-2", "declared_enterprise")])
    assert book.get(draw.draw_id) == draw
    assert book.recent_targets(NOW.date(), NOW + dt.timedelta(seconds=1)) == {USCC}
    assert book.recent_pairs(NOW.date(), NOW) == set()  # created at NOW: not before it
    for table in ("draws", "draw_targets", "draw_assignments", "draw_population"):
        for statement in (f"UPDATE {table} SET draw_id = 'x'", f"DELETE FROM {table}"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"), \
                    store.engine.begin() as connection:
                connection.exec_driver_sql(statement)
    book.cancel(draw.draw_id, "wrong task", "cli:test", NOW)
    with pytest.raises(sa.exc.IntegrityError):
        book.cancel(draw.draw_id, "again", "cli:test", NOW)
    assert book.recent_targets(NOW.date(), NOW + dt.timedelta(seconds=1)) == set()

    migrate(store, "0004", down=True)
    names = set(sa.inspect(store.engine).get_table_names())
    assert not names & {t.name for t in DRAW_TABLES} and "warnings" in names
    store.migrate()
    assert {t.name for t in DRAW_TABLES} <= set(sa.inspect(store.engine).get_table_names())

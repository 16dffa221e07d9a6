"""Migration 0008 on SQLite and PostgreSQL: the feature snapshots table exists as the schema
declares it and goes on downgrade (the results stay)."""

from __future__ import annotations

import sqlalchemy as sa

from serving.results.schema import feature_snapshots
from serving.results.store import ResultsStore
from tests.serving.test_migration_0004 import migrate


def test_0008_adds_the_feature_snapshots_and_downgrades(database_url: str) -> None:
    store = ResultsStore(database_url)
    migrate(store, "0008")
    inspector = sa.inspect(store.engine)
    assert {c["name"] for c in inspector.get_columns("feature_snapshots")} == {
        c.name for c in feature_snapshots.columns} - {"period"}  # period: 0009
    assert inspector.get_pk_constraint("feature_snapshots")["constrained_columns"] == [
        "run_id", "first_uscc"]
    assert [f["referred_table"] for f in inspector.get_foreign_keys("feature_snapshots")] == [
        "classification_runs"]
    migrate(store, "0007", down=True)
    names = set(sa.inspect(store.engine).get_table_names())
    assert "feature_snapshots" not in names and "results" in names
    store.migrate()
    assert "feature_snapshots" in set(sa.inspect(store.engine).get_table_names())
    store.engine.dispose()

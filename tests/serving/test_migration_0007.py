"""Migration 0007 on SQLite and PostgreSQL: the pages' sessions table exists as the schema
declares it, keeps a session, and goes on downgrade (the API keys stay)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from serving.access.keys import KeyRing
from serving.access.roles import Role
from serving.access.sessions import PageSessions
from serving.results.schema import page_sessions
from serving.results.store import ResultsStore
from tests.serving.test_migration_0004 import migrate

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def test_0007_adds_the_page_sessions_and_downgrades(database_url: str) -> None:
    store = ResultsStore(database_url).migrate()
    inspector = sa.inspect(store.engine)
    assert {c["name"] for c in inspector.get_columns("page_sessions")} == {
        c.name for c in page_sessions.columns}
    assert inspector.get_pk_constraint("page_sessions")["constrained_columns"] == [
        "token_hash"]
    assert [f["referred_table"] for f in inspector.get_foreign_keys("page_sessions")] == [
        "api_keys"]
    assert {i["name"] for i in inspector.get_indexes("page_sessions")} == {
        "ix_page_sessions_expires_at"}
    key = KeyRing(store.engine, b"s" * 32).create(Role.REGULATOR, "pages")[0]
    sessions = PageSessions(store.engine, b"s" * 32, dt.timedelta(minutes=30),
                            dt.timedelta(hours=8))
    token, _ = sessions.start(key.key_id, NOW)
    assert sessions.find(token, NOW) is not None

    migrate(store, "0006", down=True)
    names = set(sa.inspect(store.engine).get_table_names())
    assert "page_sessions" not in names and "api_keys" in names
    store.migrate()
    assert "page_sessions" in set(sa.inspect(store.engine).get_table_names())
    assert sessions.find(token, NOW) is None  # sessions are not kept across a downgrade
    store.engine.dispose()

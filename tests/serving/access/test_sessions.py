"""Page sessions in the results database (SQLite and PostgreSQL): random tokens stored only as
keyed hashes, ended by logout (the row deleted), idle time or lifetime, purged once unusable,
and shared by every worker and host that opens the same database."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from serving.access.keys import KeyRing
from serving.access.roles import Role
from serving.access.sessions import TOUCH_AFTER, PageSessions
from serving.results.schema import page_sessions
from serving.results.store import ResultsStore

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
IDLE, LIFETIME = dt.timedelta(minutes=30), dt.timedelta(hours=8)
SECRET = b"s" * 32


@pytest.fixture
def store(database_url: str) -> Iterator[ResultsStore]:
    results = ResultsStore(database_url).migrate()
    yield results
    results.engine.dispose()


@pytest.fixture
def key_id(store: ResultsStore) -> str:
    return KeyRing(store.engine, SECRET).create(Role.REGULATOR, "pages")[0].key_id


@pytest.fixture
def sessions(store: ResultsStore) -> PageSessions:
    return PageSessions(store.engine, SECRET, IDLE, LIFETIME)


def stored_rows(store: ResultsStore) -> list[dict[str, object]]:
    with store.engine.connect() as connection:
        return [dict(r) for r in connection.execute(sa.select(page_sessions)).mappings()]


def test_a_session_is_found_by_its_token_only(store: ResultsStore, sessions: PageSessions,
                                              key_id: str) -> None:
    token, session = sessions.start(key_id, NOW)
    assert len(token) >= 43 and len(session.csrf) >= 43 and session.csrf != token
    assert session.expires_at == NOW + LIFETIME
    found = sessions.find(token, NOW + dt.timedelta(minutes=1))
    assert found is not None and found.key_id == key_id and found.csrf == session.csrf
    assert found.created_at == NOW and found.expires_at == NOW + LIFETIME
    assert sessions.find(token[:-1] + ("x" if token[-1] != "x" else "y"), NOW) is None
    assert sessions.find(None, NOW) is None and sessions.find("", NOW) is None
    assert sessions.find("x" * 500, NOW) is None
    [row] = stored_rows(store)
    assert token not in {str(v) for v in row.values()}  # only its keyed hash is kept
    assert row["token_hash"] == hmac.new(SECRET, token.encode(), hashlib.sha256).hexdigest()
    assert row["key_id"] == key_id and row["csrf"] == session.csrf
    other_secret = PageSessions(store.engine, b"t" * 32, IDLE, LIFETIME)
    assert other_secret.find(token, NOW) is None  # the hash is keyed by the server secret


def test_another_worker_or_host_sees_the_same_sessions(database_url: str,
                                                       sessions: PageSessions,
                                                       key_id: str) -> None:
    token, _ = sessions.start(key_id, NOW)
    elsewhere = ResultsStore(database_url)  # another process's own engine
    other = PageSessions(elsewhere.engine, SECRET, IDLE, LIFETIME)
    assert other.find(token, NOW) is not None
    assert other.end(token) is True
    assert sessions.find(token, NOW) is None
    assert sessions.end(token) is False
    elsewhere.engine.dispose()


def test_logout_deletes_the_row(store: ResultsStore, sessions: PageSessions,
                                key_id: str) -> None:
    token, _ = sessions.start(key_id, NOW)
    kept, _ = sessions.start(key_id, NOW)
    assert sessions.end(token) is True
    assert len(stored_rows(store)) == 1
    assert sessions.find(token, NOW) is None and sessions.find(kept, NOW) is not None
    assert sessions.end(None) is False and sessions.end("x" * 500) is False


def test_sessions_end_when_idle_or_past_their_expiry(store: ResultsStore,
                                                     sessions: PageSessions,
                                                     key_id: str) -> None:
    idle_token, _ = sessions.start(key_id, NOW)
    assert sessions.find(idle_token, NOW + IDLE) is None
    assert sessions.find(idle_token, NOW) is None  # deleted, not merely late
    busy_token, _ = sessions.start(key_id, NOW)
    moment = NOW
    while moment + IDLE / 2 < NOW + LIFETIME:  # used every quarter of an hour
        moment += IDLE / 2
        assert sessions.find(busy_token, moment) is not None
    assert sessions.find(busy_token, NOW + LIFETIME) is None
    assert stored_rows(store) == []


def test_use_is_recorded_at_most_every_touch_interval(store: ResultsStore,
                                                      sessions: PageSessions,
                                                      key_id: str) -> None:
    token, _ = sessions.start(key_id, NOW)
    soon = sessions.find(token, NOW + TOUCH_AFTER / 2)
    assert soon is not None and soon.last_seen == NOW
    later = sessions.find(token, NOW + TOUCH_AFTER)
    assert later is not None and later.last_seen == NOW + TOUCH_AFTER
    [row] = stored_rows(store)
    stamp = row["last_seen"]
    assert isinstance(stamp, dt.datetime)
    assert stamp.replace(tzinfo=stamp.tzinfo or dt.UTC) == NOW + TOUCH_AFTER


def test_purge_deletes_what_can_no_longer_be_used(store: ResultsStore,
                                                  sessions: PageSessions,
                                                  key_id: str) -> None:
    sessions.start(key_id, NOW - LIFETIME)  # past its expiry
    sessions.start(key_id, NOW - IDLE - dt.timedelta(minutes=1))  # idle too long
    live, _ = sessions.start(key_id, NOW)
    assert sessions.purge(NOW + dt.timedelta(minutes=1)) == 2
    assert len(stored_rows(store)) == 1
    assert sessions.find(live, NOW + dt.timedelta(minutes=2)) is not None
    assert sessions.purge(NOW + dt.timedelta(minutes=2)) == 0


def test_a_session_needs_a_known_key(sessions: PageSessions) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        sessions.start("000000000000", NOW)


def test_idle_must_not_exceed_the_lifetime_and_times_carry_a_zone(
        sessions: PageSessions, store: ResultsStore, key_id: str) -> None:
    with pytest.raises(ValueError, match="idle"):
        PageSessions(store.engine, SECRET, LIFETIME * 2, LIFETIME)
    with pytest.raises(ValueError, match="secret"):
        PageSessions(store.engine, b"", IDLE, LIFETIME)
    with pytest.raises(ValueError, match="timezone"):
        sessions.start(key_id, NOW.replace(tzinfo=None))

"""Page sessions: random ids stored only as hashes, ended by logout, idle time or lifetime,
shared by every worker that opens the same file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from serving.access.sessions import TOUCH_AFTER, PageSessions

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
IDLE, LIFETIME = dt.timedelta(minutes=30), dt.timedelta(hours=8)


@pytest.fixture
def sessions(tmp_path: Path) -> PageSessions:
    return PageSessions(tmp_path / "page-sessions.db", IDLE, LIFETIME)


def test_a_session_is_found_by_its_id_only(sessions: PageSessions) -> None:
    session_id, session = sessions.start("0123456789ab", NOW)
    assert len(session_id) >= 43 and len(session.csrf) >= 43 and session.csrf != session_id
    found = sessions.find(session_id, NOW + dt.timedelta(minutes=1))
    assert found is not None and found.key_id == "0123456789ab" and found.csrf == session.csrf
    assert sessions.find(session_id[:-1] + "x", NOW) is None
    assert sessions.find(None, NOW) is None and sessions.find("", NOW) is None
    assert sessions.find("x" * 500, NOW) is None
    stored = b"".join(f.read_bytes() for f in sessions.path.parent.glob("page-sessions.db*"))
    assert session_id.encode() not in stored and b"0123456789ab" in stored


def test_another_worker_sees_the_same_sessions(sessions: PageSessions) -> None:
    session_id, _ = sessions.start("0123456789ab", NOW)
    other = PageSessions(sessions.path, IDLE, LIFETIME)
    assert other.find(session_id, NOW) is not None
    other.end(session_id, NOW)
    assert sessions.find(session_id, NOW) is None


def test_sessions_end_when_idle_or_too_old(sessions: PageSessions) -> None:
    idle_id, _ = sessions.start("0123456789ab", NOW)
    assert sessions.find(idle_id, NOW + IDLE) is None
    assert sessions.find(idle_id, NOW) is None  # ended, not merely late
    busy_id, _ = sessions.start("0123456789ab", NOW)
    moment = NOW
    while moment + IDLE / 2 < NOW + LIFETIME:  # used every quarter of an hour
        moment += IDLE / 2
        assert sessions.find(busy_id, moment) is not None
    assert sessions.find(busy_id, NOW + LIFETIME) is None


def test_use_is_recorded_at_most_every_touch_interval(sessions: PageSessions) -> None:
    session_id, _ = sessions.start("0123456789ab", NOW)
    soon = sessions.find(session_id, NOW + TOUCH_AFTER / 2)
    assert soon is not None and soon.last_seen == NOW
    later = sessions.find(session_id, NOW + TOUCH_AFTER)
    assert later is not None and later.last_seen == NOW + TOUCH_AFTER


def test_prune_deletes_what_can_no_longer_be_used(sessions: PageSessions) -> None:
    ended, _ = sessions.start("0123456789ab", NOW)
    sessions.end(ended, NOW)
    sessions.start("0123456789ab", NOW - LIFETIME)
    live, _ = sessions.start("0123456789ab", NOW)
    assert sessions.prune(NOW + dt.timedelta(minutes=1)) == 2
    assert sessions.find(live, NOW + dt.timedelta(minutes=2)) is not None


def test_idle_must_not_exceed_the_lifetime(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="idle"):
        PageSessions(tmp_path / "s.db", LIFETIME * 2, LIFETIME)

"""Server-side sessions of the regulator pages, shared by every worker and host of a service.

A regulator logs in with an API key; the browser then holds only a random session token (256
bits) in an HttpOnly cookie. The session is a row of ``page_sessions`` in the results
database (SQLite or PostgreSQL), so every worker on every host that serves the same results
sees it. The row holds a keyed hash of the token (HMAC-SHA256 with the server secret, as API
keys are kept; never the token itself), the key's id (never the key), the CSRF token of the
session's forms, and its times. A session ends at logout (its row is deleted), after ``idle``
without a request, or at ``lifetime`` after login (its ``expires_at``), whichever comes first;
rows that can no longer be used are deleted when found and by `PageSessions.purge`. The key
behind a session is checked on every request as well, so revoking or expiring a key ends its
sessions at once.

Every time is timezone-aware UTC; SQLite gives back naive datetimes, which were written in UTC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from serving.results.schema import page_sessions

TOUCH_AFTER = dt.timedelta(seconds=30)
"""A session's last use is written at most this often (reads stay reads)."""
MAX_TOKEN = 128
"""Longest session token looked up (a real one has 43 characters)."""


@dataclass(frozen=True)
class PageSession:
    key_id: str
    csrf: str
    """The token every form of the session carries."""
    created_at: dt.datetime
    last_seen: dt.datetime
    expires_at: dt.datetime
    """``created_at`` + the lifetime: the session ends then however busy it is."""


def new_token() -> str:
    """A random 256-bit token, URL-safe."""
    return secrets.token_urlsafe(32)


class PageSessions:
    """The sessions in ``engine``'s ``page_sessions`` table, their tokens hashed with
    ``secret`` (the server secret, as for API keys)."""

    def __init__(self, engine: sa.Engine, secret: bytes, idle: dt.timedelta,
                 lifetime: dt.timedelta) -> None:
        if not isinstance(secret, bytes) or not secret:
            raise ValueError("secret: expected non-empty bytes (see load_secret), found "
                             f"{type(secret).__name__}")
        if not dt.timedelta(0) < idle <= lifetime:
            raise ValueError(f"idle: expected 0 < idle ≤ lifetime, found idle {idle} and "
                             f"lifetime {lifetime}")
        self.engine, self.idle, self.lifetime = engine, idle, lifetime
        self._secret = secret

    def __repr__(self) -> str:
        return f"PageSessions({self.engine.url!r}, idle={self.idle}, lifetime={self.lifetime})"

    def _hash(self, token: str) -> str:
        return hmac.new(self._secret, token.encode("utf-8"), hashlib.sha256).hexdigest()

    def start(self, key_id: str, now: dt.datetime) -> tuple[str, PageSession]:
        """A new session for ``key_id``: its token (for the cookie, returned this once and
        never stored) and its row."""
        now = _aware(now)
        token, csrf = new_token(), new_token()
        session = PageSession(key_id, csrf, now, now, now + self.lifetime)
        with self.engine.begin() as connection:
            connection.execute(page_sessions.insert().values(
                token_hash=self._hash(token), key_id=key_id, csrf=csrf, created_at=now,
                last_seen=now, expires_at=session.expires_at))
        return token, session

    def find(self, token: str | None, now: dt.datetime) -> PageSession | None:
        """The live session of ``token`` (its last use moved to ``now``); None when there is
        none, it ended, or it is past its idle time or its expiry (its row is then deleted)."""
        if not token or not isinstance(token, str) or len(token) > MAX_TOKEN:
            return None
        now = _aware(now)
        hashed = self._hash(token)
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(page_sessions).where(
                page_sessions.c.token_hash == hashed)).mappings().first()
        if row is None:
            return None
        session = PageSession(row["key_id"], row["csrf"], _utc(row["created_at"]),
                              _utc(row["last_seen"]), _utc(row["expires_at"]))
        if now >= session.expires_at or now - session.last_seen >= self.idle:
            self._delete(hashed)
            return None
        if now - session.last_seen >= TOUCH_AFTER:
            with self.engine.begin() as connection:
                connection.execute(page_sessions.update().where(
                    page_sessions.c.token_hash == hashed,
                    page_sessions.c.last_seen < now).values(last_seen=now))
            session = PageSession(session.key_id, session.csrf, session.created_at, now,
                                  session.expires_at)
        return session

    def end(self, token: str | None) -> bool:
        """End the session of ``token`` (logout): its row is deleted, so a later `find`
        answers None. Whether there was one."""
        if not token or not isinstance(token, str) or len(token) > MAX_TOKEN:
            return False
        return self._delete(self._hash(token)) > 0

    def purge(self, now: dt.datetime) -> int:
        """Delete the sessions that can no longer be used (past their expiry or idle
        time); returns how many."""
        now = _aware(now)
        with self.engine.begin() as connection:
            return connection.execute(page_sessions.delete().where(sa.or_(
                page_sessions.c.expires_at <= now,
                page_sessions.c.last_seen <= now - self.idle))).rowcount

    def _delete(self, hashed: str) -> int:
        with self.engine.begin() as connection:
            return connection.execute(page_sessions.delete().where(
                page_sessions.c.token_hash == hashed)).rowcount


def _aware(moment: dt.datetime) -> dt.datetime:
    if not isinstance(moment, dt.datetime) or moment.tzinfo is None:
        raise ValueError(f"now: expected a timezone-aware datetime, found {moment!r}")
    return moment.astimezone(dt.UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    """A stored time as aware UTC (SQLite gives back naive datetimes, written in UTC)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)

"""Server-side sessions of the regulator pages, shared by the workers of one service.

A regulator logs in with an API key; the browser then holds only a random session id (256
bits) in an HttpOnly cookie. The session lives in a small SQLite file beside the server
secret (where the workers already agree on the model they serve): its row holds the hash of
the id (never the id itself), the key's id (never the key), the CSRF token of the session's
forms, and its times. A session ends at logout, after ``idle`` without a request, or at
``lifetime`` after login, whichever comes first; the key behind it is checked on every
request as well, so revoking or expiring a key ends its sessions at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

TOUCH_AFTER = dt.timedelta(seconds=30)
"""A session's last use is written at most this often (reads stay reads)."""
_SCHEMA = """CREATE TABLE IF NOT EXISTS page_sessions (
    id_hash TEXT PRIMARY KEY, key_id TEXT NOT NULL, csrf TEXT NOT NULL,
    created_at TEXT NOT NULL, last_seen TEXT NOT NULL, ended_at TEXT)"""


@dataclass(frozen=True)
class PageSession:
    key_id: str
    csrf: str
    """The token every form of the session carries."""
    created_at: dt.datetime
    last_seen: dt.datetime


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A random 256-bit token, URL-safe."""
    return secrets.token_urlsafe(32)


class PageSessions:
    """The sessions in ``path`` (created owner-only on first use)."""

    def __init__(self, path: Path, idle: dt.timedelta, lifetime: dt.timedelta) -> None:
        if not dt.timedelta(0) < idle <= lifetime:
            raise ValueError(f"idle: expected 0 < idle ≤ lifetime, found idle {idle} and "
                             f"lifetime {lifetime}")
        self.path, self.idle, self.lifetime = path, idle, lifetime
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                self.path.touch(mode=0o600)
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)
            self._local.connection = connection
        return connection

    def start(self, key_id: str, now: dt.datetime) -> tuple[str, PageSession]:
        """A new session for ``key_id``: its id (for the cookie, shown once) and its row."""
        session_id, csrf = new_token(), new_token()
        stamp = now.astimezone(dt.UTC).isoformat()
        self._connection().execute(
            "INSERT INTO page_sessions (id_hash, key_id, csrf, created_at, last_seen) "
            "VALUES (?, ?, ?, ?, ?)", (_hash(session_id), key_id, csrf, stamp, stamp))
        return session_id, PageSession(key_id, csrf, now, now)

    def find(self, session_id: str | None, now: dt.datetime) -> PageSession | None:
        """The live session of ``session_id`` (its last use moved to ``now``); None when
        there is none, it ended, or it is past its idle time or lifetime."""
        if not session_id or len(session_id) > 128:
            return None
        connection = self._connection()
        row = connection.execute(
            "SELECT key_id, csrf, created_at, last_seen FROM page_sessions "
            "WHERE id_hash = ? AND ended_at IS NULL", (_hash(session_id),)).fetchone()
        if row is None:
            return None
        created, seen = dt.datetime.fromisoformat(row[2]), dt.datetime.fromisoformat(row[3])
        if now - seen >= self.idle or now - created >= self.lifetime:
            self.end(session_id, now)
            return None
        if now - seen >= TOUCH_AFTER:
            connection.execute("UPDATE page_sessions SET last_seen = ? WHERE id_hash = ?",
                               (now.astimezone(dt.UTC).isoformat(), _hash(session_id)))
            seen = now
        return PageSession(row[0], row[1], created, seen)

    def end(self, session_id: str | None, now: dt.datetime) -> None:
        """End the session (logout); a later `find` of it answers None."""
        if session_id:
            self._connection().execute(
                "UPDATE page_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL",
                (now.astimezone(dt.UTC).isoformat(), _hash(session_id)))

    def prune(self, now: dt.datetime) -> int:
        """Delete sessions that ended or can no longer be used; returns how many."""
        oldest = (now - self.lifetime).astimezone(dt.UTC).isoformat()
        idle = (now - self.idle).astimezone(dt.UTC).isoformat()
        cursor = self._connection().execute(
            "DELETE FROM page_sessions WHERE ended_at IS NOT NULL OR created_at < ? "
            "OR last_seen < ?", (oldest, idle))
        return cursor.rowcount

"""The audit log: one entry per read of a result and per write, append-only, hash-chained.

Entry ``seq`` (1, 2, 3, … without gaps) stores ``previous_hash`` — the entry hash of entry
``seq - 1``, 64 zeros for the first — and ``entry_hash = sha256(previous_hash + canonical JSON
of seq and every field)``. The canonical JSON has sorted keys, no spaces and UTF-8 text; times
are ISO 8601 UTC to the microsecond. Editing a field, deleting an entry or slipping one in
breaks the chain at that entry, which `AuditLog.verify` names. (An unkeyed chain cannot stop
someone with write access to the database from recomputing every hash after an edit; record
the last hash `verify` reports somewhere else now and then to catch that too.)

Several worker processes append at once: reading the last hash and inserting the next entry is
one transaction serialised across processes — on SQLite a ``BEGIN IMMEDIATE`` transaction (the
database's write lock, taken before the read) entered under an exclusive ``flock`` of a lock
file beside the database (`_Serialised`: appends queue in the kernel and wake the moment the
holder commits, instead of SQLite's busy handler sleeping 1, 2, 5, 10… ms between retries),
on PostgreSQL a transaction-scoped advisory lock (`AUDIT_LOCK`). The database's triggers
(migration 0003) refuse UPDATE and DELETE on the table.

What the face must not pass in ``parameters``: an API key or any part of one, the
``Authorization`` header, a secret, or a request body beyond the identifiers it names (an
enterprise's USCC, a period, a region, a page). As a safety net, `AuditLog.append` stores any
text that looks like an API key with its secret part replaced by ``[redacted]`` (its key id
kept).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from serving.results.schema import audit_log

GENESIS_HASH = "0" * 64
"""The previous hash of the first entry."""
AUDIT_LOCK = 0x65637261756469
"""PostgreSQL advisory lock key serialising appends (``'ecraudi'`` in ASCII)."""
_KEY_LIKE = re.compile(r"(?P<prefix>ecr_[0-9a-f]{12}_)[A-Za-z0-9_-]+")
_LENGTHS = {name: audit_log.c[name].type.length
            for name in ("key_id", "role", "method", "route", "request_id")}
_STREAM_ROWS = 1000


@dataclass(frozen=True)
class AuditEntry:
    """One request as audited: who (key and role; None before authentication), what (method,
    route template, parameters), and the outcome (status, rows returned or written)."""

    at: dt.datetime
    key_id: str | None
    role: str | None
    method: str
    route: str
    parameters: Mapping[str, object]
    status: int
    rows: int
    request_id: str


@dataclass(frozen=True)
class StoredAuditEntry:
    """An entry as stored, with its place in the chain."""

    seq: int
    entry: AuditEntry
    previous_hash: str
    entry_hash: str


@dataclass(frozen=True)
class AuditVerification:
    """What `AuditLog.verify` found: ``ok`` when every entry links and hashes as written;
    otherwise the first entry that does not (``broken_at``, its seq) and why. ``entries``:
    the entries read, all of them when intact, up to and including the break otherwise."""

    entries: int
    ok: bool
    broken_at: int | None
    reason: str | None
    last_hash: str | None
    """The last entry's hash when the chain is intact (None when empty or broken): worth
    recording elsewhere."""


class AuditLog:
    """The audit log in ``engine``'s ``audit_log`` table (migrated: see `ResultsStore`)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def __repr__(self) -> str:
        return f"AuditLog({self.engine.url!r})"

    def append(self, entry: AuditEntry) -> int:
        """Append ``entry`` after the last one and return its seq."""
        return self.append_many([entry])[0]

    def append_many(self, entries: Sequence[AuditEntry]) -> list[int]:
        """Append ``entries`` in order after the last one, in one transaction (all or none),
        and return their seqs: the group commit of a busy service. Every entry is checked
        before anything is written."""
        checked = [checked_entry(entry) for entry in entries]
        if not checked:
            return []
        with self._serialised() as connection:
            last = connection.execute(
                sa.select(audit_log.c.seq, audit_log.c.entry_hash)
                .order_by(audit_log.c.seq.desc()).limit(1)).first()
            seq, previous = (0, GENESIS_HASH) if last is None else (last.seq, last.entry_hash)
            rows = []
            for values in checked:
                seq += 1
                current = entry_hash(seq, values, previous)
                rows.append({"seq": seq, "previous_hash": previous, "entry_hash": current,
                             **_stored(values)})
                previous = current
            connection.execute(audit_log.insert(), rows)
        return [row["seq"] for row in rows]

    def verify(self) -> AuditVerification:
        """Walk the chain in seq order (streamed, not loaded whole) and report the first break:
        a seq out of order (an entry deleted or inserted), a previous hash that is not the
        preceding entry's (a broken link), or an entry hash that is not that of its fields
        (an edit)."""
        expected_seq, previous, entries = 1, GENESIS_HASH, 0
        for stored in self._stream():
            entries += 1
            if stored.seq != expected_seq:
                what = ("an entry before it was deleted" if stored.seq > expected_seq
                        else "an entry was inserted out of order")
                return _broken(entries, stored.seq, f"expected seq {expected_seq}, found "
                                                    f"{stored.seq}: {what}")
            if stored.previous_hash != previous:
                return _broken(entries, stored.seq, "its previous hash is not the entry hash "
                                                    "of the entry before it: an entry was "
                                                    "deleted, inserted or rewritten")
            if stored.entry_hash != entry_hash(stored.seq, stored.entry, previous):
                return _broken(entries, stored.seq, "its hash does not match its fields: "
                                                    "the entry was edited")
            previous, expected_seq = stored.entry_hash, expected_seq + 1
        return AuditVerification(entries=entries, ok=True, broken_at=None, reason=None,
                                 last_hash=previous if entries else None)

    def tail(self, limit: int = 20) -> list[StoredAuditEntry]:
        """The last ``limit`` entries, oldest first."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit: expected a whole number ≥ 1, found {limit!r}")
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(audit_log).order_by(
                audit_log.c.seq.desc()).limit(limit)).mappings().all()
        return [_from_row(row) for row in reversed(rows)]

    def _stream(self) -> Iterator[StoredAuditEntry]:
        with self.engine.connect() as connection:
            result = connection.execution_options(yield_per=_STREAM_ROWS).execute(
                sa.select(audit_log).order_by(audit_log.c.seq))
            for row in result.mappings():
                yield _from_row(row)

    def _serialised(self) -> _Serialised:
        return _Serialised(self.engine)


class _Serialised:
    """A transaction that no other append runs alongside, on SQLite or PostgreSQL."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._lock: int | None = None

    def __enter__(self) -> sa.Connection:
        self._lock = _append_lock(self.engine)
        try:
            self.connection = self.engine.connect()
        except BaseException:
            self._unlock()
            raise
        try:
            if self.engine.dialect.name == "sqlite":
                # pysqlite begins nothing itself before a SELECT, and sees the transaction
                # begun here before the INSERT: the write lock is held from the read on.
                self.connection.exec_driver_sql("BEGIN IMMEDIATE")
            elif self.engine.dialect.name == "postgresql":
                # Each statement must see what the previous holder of the lock committed.
                if self.engine.dialect.default_isolation_level != "READ COMMITTED":
                    self.connection = self.connection.execution_options(
                        isolation_level="READ COMMITTED")
                self.connection.execute(sa.select(sa.func.pg_advisory_xact_lock(AUDIT_LOCK)))
            else:
                raise ValueError(f"engine: expected SQLite or PostgreSQL, found "
                                 f"{self.engine.dialect.name}")
        except BaseException:
            self.connection.close()
            self._unlock()
            raise
        return self.connection

    def __exit__(self, kind: object, error: object, _traceback: object) -> None:
        try:
            if kind is None:
                self.connection.commit()
            else:
                self.connection.rollback()
        finally:
            self.connection.close()
            self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the flock
            self._lock = None


def append_lock_path(engine: sa.Engine) -> str | None:
    """The lock file serialising appends to a SQLite database file (None for PostgreSQL and
    for in-memory SQLite, where the database's own lock is all there is)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{database}.audit-lock"


def _append_lock(engine: sa.Engine) -> int | None:
    path = append_lock_path(engine)
    if path is None:
        return None
    descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def entry_hash(seq: int, entry: AuditEntry, previous_hash: str) -> str:
    """sha256 of the previous hash followed by the canonical JSON of seq and every field."""
    document = {"seq": seq, "at": _moment(entry.at), "key_id": entry.key_id,
                "role": entry.role, "method": entry.method, "route": entry.route,
                "parameters": dict(entry.parameters), "status": entry.status, "rows": entry.rows,
                "request_id": entry.request_id}
    return hashlib.sha256((previous_hash + _canonical(document)).encode("utf-8")).hexdigest()


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def _moment(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def checked_entry(entry: AuditEntry) -> AuditEntry:
    """``entry`` with its time in UTC and its parameters as they will read back, or a
    ValueError naming the field."""
    if not isinstance(entry.at, dt.datetime) or entry.at.tzinfo is None:
        raise ValueError(f"at: expected a timezone-aware datetime, found {entry.at!r}")
    for name, length in _LENGTHS.items():
        value = getattr(entry, name)
        optional = name in ("key_id", "role")
        if value is None and optional:
            continue
        if not isinstance(value, str) or not value or len(value) > length:
            raise ValueError(f"{name}: expected a text of 1 to {length} characters"
                             f"{' or None' if optional else ''}, found {value!r}")
    for name in ("status", "rows"):
        value = getattr(entry, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}: expected a whole number ≥ 0, found {value!r}")
    if not isinstance(entry.parameters, Mapping):
        raise ValueError(f"parameters: expected a mapping, found "
                         f"{type(entry.parameters).__name__}")
    try:
        text = _canonical(dict(entry.parameters))
    except (TypeError, ValueError) as error:
        raise ValueError(f"parameters: expected JSON values (text, numbers, booleans, None, "
                         f"lists, mappings with text keys), found {error}") from None
    text = _KEY_LIKE.sub(r"\g<prefix>[redacted]", text)
    return AuditEntry(at=entry.at.astimezone(dt.UTC), key_id=entry.key_id,
                      role=entry.role, method=entry.method, route=entry.route,
                      parameters=MappingProxyType(json.loads(text)), status=entry.status,
                      rows=entry.rows, request_id=entry.request_id)


def _stored(entry: AuditEntry) -> dict[str, Any]:
    return {"at": entry.at, "key_id": entry.key_id, "role": entry.role,
            "method": entry.method, "route": entry.route,
            "parameters": _canonical(dict(entry.parameters)), "status": entry.status,
            "rows": entry.rows, "request_id": entry.request_id}


def _from_row(row: Any) -> StoredAuditEntry:
    at = row["at"]
    at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
    text = row["parameters"]
    try:
        parameters = json.loads(text)
    except ValueError:
        parameters = None
    if not isinstance(parameters, dict):  # not written by append: shown as found
        parameters = {"unreadable": text}
    entry = AuditEntry(at=at, key_id=row["key_id"], role=row["role"], method=row["method"],
                       route=row["route"], parameters=MappingProxyType(parameters),
                       status=row["status"], rows=row["rows"], request_id=row["request_id"])
    return StoredAuditEntry(seq=row["seq"], entry=entry, previous_hash=row["previous_hash"],
                            entry_hash=row["entry_hash"])


def _broken(entries: int, seq: int, reason: str) -> AuditVerification:
    return AuditVerification(entries=entries, ok=False, broken_at=seq,
                             reason=f"seq {seq}: {reason}", last_hash=None)

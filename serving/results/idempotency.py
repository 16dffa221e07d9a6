"""Idempotent writes: a caller's ``Idempotency-Key`` keeps one answer per request.

The face calls `with_idempotency` around a write: the first request under a key reserves it
(a row of ``idempotency_keys`` with status `IN_PROGRESS`, inserted in its own transaction, so
the primary key lets exactly one of two simultaneous requests in), runs the write and stores
its answer; a retry with the same key and the same body gets the stored answer and runs
nothing. Keys are scoped per API key (``key_id``): two callers may use the same key.

How the face answers each refusal (after the IETF draft "The Idempotency-Key HTTP Header
Field"):

- `IdempotencyConflict` (the key was used for another body or route): **422** Unprocessable
  Content — the request as sent can never succeed under this key; the caller needs a new key.
- `IdempotencyInProgress` (the first request with this key and body is still running): **409**
  Conflict — retry later and get its answer.
- ``ValueError`` (a key that is not 1–200 printable ASCII characters): **400** or 422.

A run that raises releases the reservation, so a retry runs again. A process that dies while
running leaves its reservation until `IdempotencyRecords.in_progress_expires`, after which a
retry takes it over. Records older than the retention are purged on every save and never
replayed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from serving.results.schema import idempotency_keys

IN_PROGRESS = 0
"""``status`` of a reserved key whose request is still running (no HTTP status is 0)."""
RETENTION = dt.timedelta(hours=24)
IN_PROGRESS_EXPIRES = dt.timedelta(minutes=15)
MAX_KEY_LENGTH = 200
MAX_KEY_ID_LENGTH = 16


class IdempotencyConflict(ValueError):
    """The idempotency key was already used for another request body or route."""


class IdempotencyInProgress(RuntimeError):
    """The first request under this idempotency key is still running."""


@dataclass(frozen=True)
class StoredRequest:
    """What is kept under one (key_id, idempotency_key)."""

    key_id: str
    idempotency_key: str
    route: str
    request_sha256: str
    status: int
    """The answer's HTTP status, or `IN_PROGRESS`."""
    response: dict[str, Any]
    created_at: dt.datetime
    """When the answer was stored (UTC), or the key reserved while in progress."""

    @property
    def in_progress(self) -> bool:
        return self.status == IN_PROGRESS


def request_digest(body: bytes) -> str:
    """sha256 of the request body, hex."""
    return hashlib.sha256(body).hexdigest()


def check_idempotency_key(idempotency_key: str) -> str:
    """``idempotency_key`` if it is 1–200 printable ASCII characters (space to ``~``), else a
    ``ValueError`` naming the Idempotency-Key and what was found."""
    if not isinstance(idempotency_key, str):
        raise ValueError(f"Idempotency-Key: expected text, found {type(idempotency_key).__name__}")
    if not 1 <= len(idempotency_key) <= MAX_KEY_LENGTH:
        raise ValueError(f"Idempotency-Key: expected 1 to {MAX_KEY_LENGTH} characters, found "
                         f"{len(idempotency_key)}")
    bad = next((c for c in idempotency_key if not " " <= c <= "~"), None)
    if bad is not None:
        raise ValueError(f"Idempotency-Key: expected printable ASCII characters only, found "
                         f"{bad!r} at position {idempotency_key.index(bad)}")
    return idempotency_key


def _check_key_id(key_id: str) -> str:
    if not isinstance(key_id, str) or not 1 <= len(key_id) <= MAX_KEY_ID_LENGTH:
        raise ValueError(f"key_id: expected an API key id of 1 to {MAX_KEY_ID_LENGTH} "
                         f"characters, found {key_id!r}")
    return key_id


class IdempotencyRecords:
    """The ``idempotency_keys`` table of a results store (``ResultsStore.engine``).

    ``retention``: how long a stored answer is replayed (older ones are purged on save);
    ``in_progress_expires``: how long a reservation whose request never finished (its process
    died) blocks the key before a retry may take it over.
    """

    def __init__(self, engine: sa.Engine, *, retention: dt.timedelta = RETENTION,
                 in_progress_expires: dt.timedelta = IN_PROGRESS_EXPIRES) -> None:
        for name, value in (("retention", retention),
                            ("in_progress_expires", in_progress_expires)):
            if not isinstance(value, dt.timedelta) or value <= dt.timedelta(0):
                raise ValueError(f"{name}: expected a positive timedelta, found {value!r}")
        self.engine = engine
        self.retention = retention
        self.in_progress_expires = in_progress_expires

    def lookup(self, key_id: str, idempotency_key: str) -> StoredRequest | None:
        """The record kept under the key (a stored answer or a reservation), or None when
        there is none or it is older than the retention."""
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(idempotency_keys).where(
                *_key(key_id, idempotency_key))).one_or_none()
        if row is None:
            return None
        stored = _stored(row)
        return None if stored.created_at <= _now() - self.retention else stored

    def reserve(self, key_id: str, idempotency_key: str, route: str,
                request_sha256: str) -> tuple[StoredRequest, bool]:
        """Reserve the key for a request, in a transaction of its own: the reservation and
        True when this call took it, else what is kept under the key and False. An expired
        record (past the retention, or an abandoned reservation) is taken over."""
        _check_key_id(key_id)
        check_idempotency_key(idempotency_key)
        for _ in range(3):
            now = _now()
            reservation = StoredRequest(key_id, idempotency_key, route, request_sha256,
                                        IN_PROGRESS, {}, now)
            try:
                with self.engine.begin() as connection:
                    connection.execute(idempotency_keys.insert().values(
                        key_id=key_id, idempotency_key=idempotency_key, route=route,
                        request_sha256=request_sha256, status=IN_PROGRESS, response={},
                        created_at=now))
                return reservation, True
            except sa.exc.IntegrityError:
                pass
            with self.engine.begin() as connection:
                row = connection.execute(sa.select(idempotency_keys).where(
                    *_key(key_id, idempotency_key))).one_or_none()
                if row is None:  # released meanwhile: try inserting again
                    continue
                held = _stored(row)
                if not self._expired(held, now):
                    return held, False
                taken = connection.execute(idempotency_keys.update().where(
                    *_key(key_id, idempotency_key), idempotency_keys.c.status == held.status,
                    idempotency_keys.c.created_at == row.created_at,
                ).values(route=route, request_sha256=request_sha256, status=IN_PROGRESS,
                         response={}, created_at=now))
                if taken.rowcount == 1:
                    return reservation, True
        raise IdempotencyInProgress(f"Idempotency-Key {idempotency_key!r}: could not reserve "
                                    "it; other requests keep taking it")

    def save(self, key_id: str, idempotency_key: str, route: str, request_sha256: str,
             status: int, response: dict[str, Any],
             reservation: StoredRequest | None = None) -> StoredRequest:
        """Store the answer under the key (completing ``reservation`` when given, which must
        still hold the key) and purge the records older than the retention."""
        _check_key_id(key_id)
        check_idempotency_key(idempotency_key)
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"status: expected an HTTP status 100–599, found {status!r}")
        try:
            json.dumps(response, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise ValueError(f"response: expected a JSON object, found one that cannot be "
                             f"stored as JSON: {error}") from None
        now = _now()
        values = {"route": route, "request_sha256": request_sha256, "status": status,
                  "response": response, "created_at": now}
        with self.engine.begin() as connection:
            if reservation is None:
                connection.execute(idempotency_keys.delete().where(
                    *_key(key_id, idempotency_key)))
                connection.execute(idempotency_keys.insert().values(
                    key_id=key_id, idempotency_key=idempotency_key, **values))
            else:
                done = connection.execute(idempotency_keys.update().where(
                    *_held(reservation)).values(**values))
                if done.rowcount != 1:
                    raise IdempotencyInProgress(
                        f"Idempotency-Key {idempotency_key!r}: the reservation of "
                        f"{reservation.created_at:%Y-%m-%d %H:%M:%S} UTC was taken over as "
                        "abandoned; its answer is not kept")
            connection.execute(idempotency_keys.delete().where(
                idempotency_keys.c.created_at < now - self.retention))
        return StoredRequest(key_id, idempotency_key, **values)

    def release(self, reservation: StoredRequest) -> None:
        """Remove a reservation still in progress, so that a retry runs again."""
        with self.engine.begin() as connection:
            connection.execute(idempotency_keys.delete().where(*_held(reservation)))

    def _expired(self, held: StoredRequest, now: dt.datetime) -> bool:
        age = now - held.created_at
        return age >= self.retention or (held.in_progress and age >= self.in_progress_expires)


def with_idempotency(
    records: IdempotencyRecords, key_id: str, idempotency_key: str | None, route: str,
    body: bytes, run: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any], bool]:
    """Run ``run`` at most once per (``key_id``, ``idempotency_key``): its (status, response
    JSON) and False, or the stored answer and True when this key already ran with this
    ``route`` and ``body``. Without a key, ``run`` simply runs.

    Raises `IdempotencyConflict` (→ 422) for the key used with another body or route,
    `IdempotencyInProgress` (→ 409) while the first such request runs, and ``ValueError``
    for a malformed key. An exception from ``run`` releases the key and propagates: nothing
    is stored, a retry runs again (so raise refusals such as an invalid submission rather
    than returning them, unless their answer should be replayed).
    """
    if idempotency_key is None:
        status, response = run()
        return status, response, False
    digest = request_digest(body)
    held, reserved = records.reserve(key_id, idempotency_key, route, digest)
    if not reserved:
        if held.route != route or held.request_sha256 != digest:
            what = "route " + held.route if held.route != route else "another request body"
            raise IdempotencyConflict(
                f"Idempotency-Key {idempotency_key!r}: already used for {what} (at "
                f"{held.created_at:%Y-%m-%d %H:%M:%S} UTC); send a new key for a new request")
        if held.in_progress:
            raise IdempotencyInProgress(
                f"Idempotency-Key {idempotency_key!r}: the first request with this key is "
                f"still running (since {held.created_at:%Y-%m-%d %H:%M:%S} UTC); retry later "
                "for its answer")
        return held.status, held.response, True
    try:
        status, response = run()
    except BaseException:
        records.release(held)
        raise
    try:
        records.save(key_id, idempotency_key, route, digest, status, response, held)
    except IdempotencyInProgress:  # taken over as abandoned: the answer is still this one
        pass
    except ValueError:
        records.release(held)
        raise
    return status, response, False


def _key(key_id: str, idempotency_key: str) -> tuple[sa.ColumnElement[bool], ...]:
    return (idempotency_keys.c.key_id == key_id,
            idempotency_keys.c.idempotency_key == idempotency_key)


def _held(reservation: StoredRequest) -> tuple[sa.ColumnElement[bool], ...]:
    """The row of ``reservation`` while it is still in progress, untaken."""
    return (*_key(reservation.key_id, reservation.idempotency_key),
            idempotency_keys.c.status == IN_PROGRESS,
            idempotency_keys.c.created_at == reservation.created_at)


def _stored(row: Any) -> StoredRequest:
    return StoredRequest(row.key_id, row.idempotency_key, row.route, row.request_sha256,
                         row.status, dict(row.response), _utc(row.created_at))


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

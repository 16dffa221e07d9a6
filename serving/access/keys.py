"""API keys: created with a role (and optionally a region and an expiry), shown once, kept only
as a keyed hash, authenticated on every request.

A key reads ``ecr_<key_id>_<secret part>``: ``key_id`` is 12 hex characters (the row's id,
safe to log), the secret part ``secrets.token_urlsafe(32)`` (256 random bits). The table
``api_keys`` keeps HMAC-SHA256(server secret, whole key) in hex, never the key; a presented
key's hash is recomputed and compared with `hmac.compare_digest`.

`KeyRing.authenticate` keeps the rows it found in a small in-process, thread-safe cache for
``cache_seconds`` (default 5 s) so a hot key does not reach the database on every request.
Expiry is checked against ``now`` on every call, cached or not; a revocation made through the
same `KeyRing` takes effect at once, one made elsewhere (another worker process, the command
line) within ``cache_seconds``.

Every time is timezone-aware UTC; SQLite gives back naive datetimes, which were written in UTC.
"""

from __future__ import annotations

import builtins
import collections
import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from serving.access.roles import Role, parse_role
from serving.results.schema import api_keys

KEY_PREFIX = "ecr"
KEY_PATTERN = re.compile(r"ecr_(?P<key_id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})")
"""A well-formed key; anything else presented is ``malformed``."""
REGION_PATTERN = re.compile(r"(?:[0-9]{2}){1,3}")
"""A region prefix: the first 2, 4 or 6 digits of a division code (province, prefecture,
county)."""
DIVISION_CODE = re.compile(r"[0-9]{6}")
NAME_LENGTH = api_keys.c.name.type.length
CACHE_ENTRIES = 1024
"""Most keys the authentication cache holds; the least recently found is dropped first."""

UNAUTHENTICATED_REASONS = ("missing", "malformed", "unknown", "expired", "revoked")


class Unauthenticated(Exception):
    """A presented key does not authenticate. ``reason`` (one of `UNAUTHENTICATED_REASONS`)
    and ``key_id`` (when the key named one) are for the audit log only; the face answers every
    reason with the same message."""

    def __init__(self, reason: str, key_id: str | None = None) -> None:
        if reason not in UNAUTHENTICATED_REASONS:
            raise ValueError(f"reason: expected one of {', '.join(UNAUTHENTICATED_REASONS)}, "
                             f"found {reason!r}")
        super().__init__(f"API key not accepted: {reason}")
        self.reason = reason
        self.key_id = key_id


@dataclass(frozen=True)
class ApiKey:
    """One key as stored, less its hash."""

    key_id: str
    name: str
    role: Role
    region: str | None
    """Division-code prefix (2, 4 or 6 digits) the key is limited to; None: every region."""
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None

    def covers(self, region_code: str | None) -> bool:
        """Whether the key may see an enterprise in division ``region_code`` (6 digits): a key
        without region covers all; a region-limited key covers only well-formed codes that
        start with its prefix, so an enterprise without a code is outside it."""
        if self.region is None:
            return True
        return (region_code is not None and DIVISION_CODE.fullmatch(region_code) is not None
                and region_code.startswith(self.region))

    def status(self, now: dt.datetime) -> str:
        """``revoked`` once revoked, else ``expired`` from its expiry on, else ``active``."""
        now = _aware(now, "now")
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"


@dataclass(frozen=True)
class _Found:
    key: ApiKey
    key_hash: str
    found_at: float


class KeyRing:
    """The API keys in ``engine``'s ``api_keys`` table, hashed with ``secret``."""

    def __init__(self, engine: sa.Engine, secret: bytes, cache_seconds: float = 5.0) -> None:
        if not isinstance(secret, bytes) or not secret:
            raise ValueError("secret: expected non-empty bytes (see load_secret), found "
                             f"{type(secret).__name__} of length {len(secret)}")
        if not cache_seconds >= 0:
            raise ValueError(f"cache_seconds: expected ≥ 0, found {cache_seconds!r}")
        self.engine = engine
        self._secret = secret
        self.cache_seconds = cache_seconds
        self._cache: collections.OrderedDict[str, _Found] = collections.OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KeyRing({self.engine.url!r}, cache_seconds={self.cache_seconds})"

    def create(self, role: Role, name: str, region: str | None = None,
               expires_at: dt.datetime | None = None,
               now: dt.datetime | None = None) -> tuple[ApiKey, str]:
        """A new key and its plaintext, which is returned this once and never stored."""
        role = parse_role(role)
        name = _checked_name(name)
        region = _checked_region(region)
        now = _utc_now(now)
        if expires_at is not None:
            expires_at = _aware(expires_at, "expires_at")
            if expires_at <= now:
                raise ValueError(f"expires_at: expected a time in the future (after "
                                 f"{now:%Y-%m-%d %H:%M:%S} UTC), found "
                                 f"{expires_at:%Y-%m-%d %H:%M:%S} UTC")
        for _attempt in range(3):
            key_id = secrets.token_hex(6)
            plaintext = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
            key = ApiKey(key_id=key_id, name=name, role=role, region=region,
                         created_at=now, expires_at=expires_at, revoked_at=None)
            try:
                with self.engine.begin() as connection:
                    connection.execute(api_keys.insert().values(
                        key_id=key_id, name=name, role=role.value, region=region,
                        key_hash=self._hash(plaintext), created_at=now,
                        expires_at=expires_at, revoked_at=None))
            except sa.exc.IntegrityError:
                continue  # a key id drawn twice (2⁻⁴⁸ per pair): draw again
            return key, plaintext
        raise RuntimeError("api_keys: three fresh key ids were all taken; is the table shared "
                           "with something else?")

    def list(self) -> builtins.list[ApiKey]:
        """Every key, oldest first (revoked and expired ones included)."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(api_keys).order_by(
                api_keys.c.created_at, api_keys.c.key_id)).mappings()
            return [_key(row) for row in rows]

    def revoke(self, key_id: str, now: dt.datetime | None = None) -> ApiKey:
        """Revoke the key (its first revocation time stays); LookupError if there is none."""
        now = _utc_now(now)
        with self.engine.begin() as connection:
            connection.execute(api_keys.update().where(
                api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None)).values(
                revoked_at=now))
            row = connection.execute(sa.select(api_keys).where(
                api_keys.c.key_id == key_id)).mappings().first()
        with self._lock:
            self._cache.pop(key_id, None)
        if row is None:
            raise LookupError(f"key_id: no API key {key_id!r}")
        return _key(row)

    def authenticate(self, presented: str | None, now: dt.datetime | None = None) -> ApiKey:
        """The key ``presented`` is, if it is well formed, known, unexpired and unrevoked;
        else `Unauthenticated` with the reason. A key whose secret part is wrong is
        ``unknown``, whatever the state of the key it names."""
        if not presented:
            raise Unauthenticated("missing")
        match = KEY_PATTERN.fullmatch(presented)
        if match is None:
            raise Unauthenticated("malformed")
        now = _utc_now(now)
        key_id = match["key_id"]
        computed = self._hash(presented)
        found = self._find(key_id)
        stored = found.key_hash if found is not None else "0" * 64
        if not hmac.compare_digest(computed, stored) or found is None:
            raise Unauthenticated("unknown", key_id)
        status = found.key.status(now)
        if status != "active":
            raise Unauthenticated(status, key_id)
        return found.key

    def current(self, key_id: str, now: dt.datetime | None = None) -> ApiKey:
        """The key named ``key_id`` while it is unexpired and unrevoked (for a page session,
        which holds the key's id, never the key); else `Unauthenticated` with the reason."""
        found = self._find(key_id) if isinstance(key_id, str) else None
        if found is None:
            raise Unauthenticated("unknown", key_id if isinstance(key_id, str) else None)
        status = found.key.status(_utc_now(now))
        if status != "active":
            raise Unauthenticated(status, key_id)
        return found.key

    def _find(self, key_id: str) -> _Found | None:
        """The key's row, from the cache while it is fresh, else from the database."""
        clock = time.monotonic()
        with self._lock:
            cached = self._cache.get(key_id)
            if cached is not None and clock - cached.found_at < self.cache_seconds:
                self._cache.move_to_end(key_id)
                return cached
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(api_keys).where(
                api_keys.c.key_id == key_id)).mappings().first()
        if row is None:
            return None
        found = _Found(_key(row), row["key_hash"], clock)
        if self.cache_seconds > 0:
            with self._lock:
                self._cache[key_id] = found
                self._cache.move_to_end(key_id)
                while len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
        return found

    def _hash(self, plaintext: str) -> str:
        return hmac.new(self._secret, plaintext.encode("utf-8"), hashlib.sha256).hexdigest()


def _key(row: Any) -> ApiKey:
    return ApiKey(key_id=row["key_id"], name=row["name"], role=Role(row["role"]),
                  region=row["region"], created_at=_utc(row["created_at"]),
                  expires_at=_utc(row["expires_at"]), revoked_at=_utc(row["revoked_at"]))


def _checked_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name: expected a non-empty text, found {name!r}")
    name = name.strip()
    if len(name) > NAME_LENGTH:
        raise ValueError(f"name: expected at most {NAME_LENGTH} characters, found {len(name)}")
    return name


def _checked_region(region: str | None) -> str | None:
    if region is None:
        return None
    if not isinstance(region, str) or REGION_PATTERN.fullmatch(region) is None:
        raise ValueError("region: expected a division-code prefix of 2, 4 or 6 digits "
                         f"(e.g. 41, 4101, 410102), found {region!r}")
    return region


def _aware(moment: dt.datetime, name: str) -> dt.datetime:
    if not isinstance(moment, dt.datetime) or moment.tzinfo is None:
        raise ValueError(f"{name}: expected a timezone-aware datetime, found {moment!r}")
    return moment.astimezone(dt.UTC)


def _utc_now(now: dt.datetime | None) -> dt.datetime:
    return dt.datetime.now(dt.UTC) if now is None else _aware(now, "now")


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored time as aware UTC (SQLite gives back naive datetimes, written in UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)

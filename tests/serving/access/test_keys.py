"""API keys: shown once, kept as a keyed hash, authenticated in constant time, expired and
revoked on time, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from serving.access import keys as keys_module
from serving.access.keys import KEY_PATTERN, ApiKey, KeyRing, Unauthenticated
from serving.access.roles import Role
from serving.results.schema import api_keys
from serving.results.store import ResultsStore

SECRET = b"0123456789abcdef0123456789abcdef-test"
NOW = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    store = ResultsStore(database_url).migrate()
    yield store.engine
    store.engine.dispose()


@pytest.fixture
def ring(engine: sa.Engine) -> KeyRing:
    return KeyRing(engine, SECRET)


@pytest.fixture
def tableless_ring() -> KeyRing:
    """A ring whose database has no tables: a key refused before any lookup passes."""
    return KeyRing(sa.create_engine("sqlite://"), SECRET)


def refused(ring: KeyRing, presented: str | None, now: dt.datetime | None = None) -> str:
    with pytest.raises(Unauthenticated) as error:
        ring.authenticate(presented, now=now)
    return error.value.reason


def test_created_key_authenticates_as_itself(ring: KeyRing) -> None:
    key, plaintext = ring.create(Role.REGULATOR, "county bureau", region="4101", now=NOW)
    match = KEY_PATTERN.fullmatch(plaintext)
    assert match is not None and match["key_id"] == key.key_id
    assert len(match["secret"]) == 43  # 32 random bytes, URL-safe base64: 256 bits
    assert ring.authenticate(plaintext, now=NOW + dt.timedelta(days=1)) == key
    assert key == ApiKey(key_id=key.key_id, name="county bureau", role=Role.REGULATOR,
                         region="4101", created_at=NOW, expires_at=None, revoked_at=None)


def test_each_key_is_new(ring: KeyRing) -> None:
    created = [ring.create(Role.SAMPLING, f"k{i}", now=NOW) for i in range(5)]
    assert len({k.key_id for k, _ in created}) == 5 and len({p for _, p in created}) == 5


def test_stored_hash_is_a_keyed_hash_and_holds_no_key(ring: KeyRing, engine: sa.Engine) -> None:
    _, plaintext = ring.create(Role.ADMIN, "ops", now=NOW)
    with engine.connect() as connection:
        row = connection.execute(sa.select(api_keys)).mappings().one()
    secret_part = plaintext.split("_", 2)[2]  # the secret part may hold "_"
    assert row["key_hash"] == hmac.new(SECRET, plaintext.encode(), hashlib.sha256).hexdigest()
    assert row["key_hash"] != hashlib.sha256(plaintext.encode()).hexdigest()
    for value in row.values():
        assert plaintext not in str(value) and secret_part not in str(value)


def test_hash_compared_in_constant_time(ring: KeyRing, monkeypatch: pytest.MonkeyPatch) -> None:
    _, plaintext = ring.create(Role.SAMPLING, "draws", now=NOW)
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def recording(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(keys_module.hmac, "compare_digest", recording)
    ring.authenticate(plaintext, now=NOW)
    assert refused(ring, plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B"), NOW) == "unknown"
    assert len(compared) == 2


@pytest.mark.parametrize("presented", [None, ""])
def test_missing_key(tableless_ring: KeyRing, presented: str | None) -> None:
    assert refused(tableless_ring, presented) == "missing"


@pytest.mark.parametrize("presented", [
    "Bearer ecr_0123456789ab_" + "a" * 43, "ecr_0123456789ab_" + "a" * 42,
    "ecr_0123456789AB_" + "a" * 43, "ecr_0123456789a_" + "a" * 43, "xyz_0123456789ab_" + "a" * 43,
    "ecr_0123456789ab_" + "a" * 42 + "=", "ecr_0123456789ab_" + "a" * 43 + "\n", "garbage",
    "ecr_0123456789ab_" + "a" * 10_000,
])
def test_malformed_key(tableless_ring: KeyRing, presented: str) -> None:
    assert refused(tableless_ring, presented) == "malformed"


def test_unknown_id_and_wrong_secret_part_read_alike(ring: KeyRing) -> None:
    key, plaintext = ring.create(Role.REGULATOR, "r", now=NOW)
    assert refused(ring, "ecr_0123456789ab_" + "a" * 43) == "unknown"
    with pytest.raises(Unauthenticated) as error:
        ring.authenticate(f"ecr_{key.key_id}_" + "a" * 43)
    assert (error.value.reason, error.value.key_id) == ("unknown", key.key_id)
    assert str(error.value) == "API key not accepted: unknown"
    ring.revoke(key.key_id, now=NOW)
    assert refused(ring, f"ecr_{key.key_id}_" + "a" * 43) == "unknown"  # state not revealed
    assert refused(ring, plaintext) == "revoked"


def test_other_secret_authenticates_nothing(ring: KeyRing, engine: sa.Engine) -> None:
    _, plaintext = ring.create(Role.REGULATOR, "r", now=NOW)
    assert refused(KeyRing(engine, b"another secret of enough length!!"), plaintext) == "unknown"


def test_tampered_hash_authenticates_nothing(ring: KeyRing, engine: sa.Engine) -> None:
    _, plaintext = ring.create(Role.REGULATOR, "r", now=NOW)
    with engine.begin() as connection:
        connection.execute(api_keys.update().values(key_hash="f" * 64))
    assert refused(KeyRing(engine, SECRET), plaintext) == "unknown"


def test_expiry_is_checked_on_every_call(ring: KeyRing) -> None:
    expires = NOW + dt.timedelta(hours=1)
    key, plaintext = ring.create(Role.SAMPLING, "s", expires_at=expires, now=NOW)
    assert key.expires_at == expires
    assert ring.authenticate(plaintext, now=expires - dt.timedelta(seconds=1)) == key  # cached
    assert refused(ring, plaintext, expires) == "expired"
    assert key.status(expires) == "expired"
    assert key.status(expires - dt.timedelta(microseconds=1)) == "active"


def test_expiry_kept_exact_through_the_database(ring: KeyRing, engine: sa.Engine) -> None:
    expires = dt.datetime(2027, 1, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    _, plaintext = ring.create(Role.SAMPLING, "s", expires_at=expires, now=NOW)
    fresh = KeyRing(engine, SECRET)
    (listed,) = fresh.list()
    assert listed.expires_at == expires and listed.expires_at.tzinfo == dt.UTC
    assert listed.created_at == NOW
    assert refused(fresh, plaintext, dt.datetime(2027, 1, 1, 0, 0, tzinfo=dt.UTC)) == "expired"


def test_revoked_at_once_here_and_within_cache_seconds_elsewhere(
        engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(keys_module.time, "monotonic", lambda: clock[0])
    here, elsewhere = KeyRing(engine, SECRET), KeyRing(engine, SECRET, cache_seconds=5)
    key, plaintext = here.create(Role.REGULATOR, "r", now=NOW)
    assert elsewhere.authenticate(plaintext, now=NOW) == key
    revoked = here.revoke(key.key_id, now=NOW + dt.timedelta(minutes=1))
    assert revoked.revoked_at == NOW + dt.timedelta(minutes=1)
    assert refused(here, plaintext) == "revoked"
    clock[0] += 4.9
    assert elsewhere.authenticate(plaintext, now=NOW) == key  # the cached row, still fresh
    clock[0] += 0.2
    assert refused(elsewhere, plaintext) == "revoked"


def test_cache_spares_the_database(engine: sa.Engine) -> None:
    ring = KeyRing(engine, SECRET, cache_seconds=60)
    _, plaintext = ring.create(Role.REGULATOR, "r", now=NOW)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda *args: statements.append(args[2]))
    for _ in range(20):
        ring.authenticate(plaintext, now=NOW)
    assert len(statements) == 1
    uncached = KeyRing(engine, SECRET, cache_seconds=0)
    for _ in range(3):
        uncached.authenticate(plaintext, now=NOW)
    assert len(statements) == 4


def test_authenticate_from_many_threads(ring: KeyRing) -> None:
    made = [ring.create(Role.SAMPLING, f"k{i}", now=NOW) for i in range(4)]
    failures: list[BaseException] = []

    def hammer(key: ApiKey, plaintext: str) -> None:
        try:
            for _ in range(50):
                assert ring.authenticate(plaintext, now=NOW) == key
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=hammer, args=pair) for pair in made * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_revoking_twice_keeps_the_first_time(ring: KeyRing) -> None:
    key, _ = ring.create(Role.ADMIN, "a", now=NOW)
    first = ring.revoke(key.key_id, now=NOW + dt.timedelta(hours=1))
    again = ring.revoke(key.key_id, now=NOW + dt.timedelta(hours=2))
    assert first.revoked_at == again.revoked_at == NOW + dt.timedelta(hours=1)
    assert again.status(NOW + dt.timedelta(days=1)) == "revoked"


def test_revoking_an_unknown_key_names_it(ring: KeyRing) -> None:
    with pytest.raises(LookupError, match="key_id: no API key 'feedfacecafe'"):
        ring.revoke("feedfacecafe")


def test_list_shows_every_key_oldest_first(ring: KeyRing) -> None:
    a, _ = ring.create(Role.ADMIN, "a", now=NOW)
    b, _ = ring.create(Role.SAMPLING, "b", region="41", now=NOW + dt.timedelta(seconds=1),
                       expires_at=NOW + dt.timedelta(days=1))
    ring.revoke(a.key_id, now=NOW + dt.timedelta(seconds=2))
    listed = ring.list()
    assert [k.key_id for k in listed] == [a.key_id, b.key_id]
    assert [k.status(NOW + dt.timedelta(days=2)) for k in listed] == ["revoked", "expired"]
    assert not hasattr(listed[0], "key_hash")


@pytest.mark.parametrize("region", ["4", "410", "41010", "4101020", "41a1", "", " 4101",
                                    "٤١٠١"])
def test_bad_region_is_refused(ring: KeyRing, region: str) -> None:
    with pytest.raises(ValueError, match=f"region: expected .* found {region!r}"):
        ring.create(Role.REGULATOR, "r", region=region, now=NOW)


def test_expiry_must_be_future_and_aware(ring: KeyRing) -> None:
    with pytest.raises(ValueError, match="expires_at: expected a time in the future"):
        ring.create(Role.SAMPLING, "s", expires_at=NOW, now=NOW)
    with pytest.raises(ValueError, match="expires_at: expected a timezone-aware datetime"):
        ring.create(Role.SAMPLING, "s", expires_at=dt.datetime(2099, 1, 1), now=NOW)
    with pytest.raises(ValueError, match="now: expected a timezone-aware datetime"):
        ring.create(Role.SAMPLING, "s", now=dt.datetime(2026, 1, 1))


def test_name_and_role_are_checked(ring: KeyRing) -> None:
    with pytest.raises(ValueError, match="name: expected a non-empty text"):
        ring.create(Role.SAMPLING, "  ", now=NOW)
    with pytest.raises(ValueError, match="name: expected at most 120 characters, found 121"):
        ring.create(Role.SAMPLING, "n" * 121, now=NOW)
    with pytest.raises(ValueError, match="role: expected one of sampling, regulator, admin, "
                                         "found 'root'"):
        ring.create("root", "n", now=NOW)  # type: ignore[arg-type]
    assert ring.create("regulator", "n", now=NOW)[0].role is Role.REGULATOR  # type: ignore[arg-type]


def test_secret_is_required(engine: sa.Engine) -> None:
    with pytest.raises(ValueError, match="secret: expected non-empty bytes"):
        KeyRing(engine, b"")
    assert "0123456789abcdef" not in repr(KeyRing(engine, SECRET))


def key(region: str | None) -> ApiKey:
    return ApiKey(key_id="0" * 12, name="k", role=Role.REGULATOR, region=region,
                  created_at=NOW, expires_at=None, revoked_at=None)


@pytest.mark.parametrize(("region", "code", "covered"), [
    (None, "410102", True), (None, None, True),
    ("41", "410102", True), ("4101", "410102", True), ("410102", "410102", True),
    ("4101", "410202", False), ("4101", "420102", False), ("410102", "410103", False),
    ("4101", None, False), ("4101", "", False), ("4101", "4101", False),
    ("4101", "41010", False), ("4101", "4101021", False), ("4101", "4101xx", False),
])
def test_covers(region: str | None, code: str | None, covered: bool) -> None:
    assert key(region).covers(code) is covered


def test_status_revoked_over_expired() -> None:
    revoked = ApiKey(key_id="0" * 12, name="k", role=Role.ADMIN, region=None, created_at=NOW,
                     expires_at=NOW + dt.timedelta(days=1), revoked_at=NOW)
    assert revoked.status(NOW) == "revoked"
    assert revoked.status(NOW + dt.timedelta(days=2)) == "revoked"
    assert key(None).status(NOW) == "active"
    with pytest.raises(ValueError, match="now: expected a timezone-aware"):
        key(None).status(dt.datetime(2026, 1, 1))


def test_unauthenticated_reasons_are_closed() -> None:
    with pytest.raises(ValueError, match="reason: expected one of missing, malformed"):
        Unauthenticated("forbidden")


def test_a_session_finds_its_key_by_id_while_it_is_live(ring: KeyRing) -> None:
    now = NOW
    key, _ = ring.create(Role.REGULATOR, "pages", expires_at=now + dt.timedelta(days=1),
                         now=now)
    assert ring.current(key.key_id, now) == key
    with pytest.raises(Unauthenticated) as expired:
        ring.current(key.key_id, now + dt.timedelta(days=1))
    assert expired.value.reason == "expired"
    with pytest.raises(Unauthenticated) as unknown:
        ring.current("0" * 12, now)
    assert unknown.value.reason == "unknown"
    ring.revoke(key.key_id, now)
    ring._cache.clear()
    with pytest.raises(Unauthenticated) as revoked:
        ring.current(key.key_id, now)
    assert revoked.value.reason == "revoked"

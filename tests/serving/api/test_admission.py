"""Admitting an authenticated key, as the API and the pages both do: its role, then its rate,
each refusal recorded for the audit log."""

from __future__ import annotations

import datetime as dt
import threading
import time
from types import SimpleNamespace

import pytest

from serving.access.keys import ApiKey
from serving.access.roles import Permission, Role
from serving.api import rate_limit
from serving.api.audit_trail import AuditDraft
from serving.api.rate_limit import RateLimiter
from serving.api.security import Refusal, admit


def key(role: Role) -> ApiKey:
    return ApiKey(key_id="0123456789ab", name="test", role=role, region=None,
                  created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), expires_at=None,
                  revoked_at=None)


def test_a_key_within_its_role_and_rate_goes_on_then_waits() -> None:
    state = SimpleNamespace(rate_limiter=RateLimiter("2/minute"))
    audit = AuditDraft()
    assert admit(state, key(Role.REGULATOR), Permission.READ_HISTORY, audit) is None
    assert (audit.key_id, audit.role, audit.outcome) == ("0123456789ab", "regulator", None)
    assert admit(state, key(Role.REGULATOR), Permission.READ_HISTORY, AuditDraft()) is None
    third = AuditDraft()
    refused = admit(state, key(Role.REGULATOR), Permission.READ_HISTORY, third)
    assert isinstance(refused, Refusal) and refused.status == 429
    assert refused.detail.startswith("rate limit of 2/minute exceeded; retry after ")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert third.outcome == "rate limited"


def test_a_role_without_the_permission_is_refused_before_counting() -> None:
    state = SimpleNamespace(rate_limiter=RateLimiter("1/minute"))
    audit = AuditDraft()
    refused = admit(state, key(Role.SAMPLING), Permission.READ_EXPLANATIONS, audit)
    assert refused == Refusal(403, "the sampling role may not read_explanations", {})
    assert audit.outcome == "forbidden" and audit.role == "sampling"
    assert admit(state, key(Role.SAMPLING), Permission.READ_CLASSIFICATIONS,
                 AuditDraft()) is None  # the refusal did not use up the rate


def test_a_generous_limit_keeps_two_counters_not_a_timestamp_per_request() -> None:
    """The counter strategy: whatever the limit, a key holds this window's and the last
    window's counts (the moving window kept one entry per request inside the window, a list
    that every hit had to shift: a tenth of a request's time at the bench's 1,000,000/minute)."""
    limiter = RateLimiter("1000000/minute")
    for _ in range(5000):
        assert limiter.hit("k") is None
    storage = limiter._limiter.storage
    assert not any(storage.events.values())  # no per-request entries
    assert 1 <= len(storage.storage) <= 2
    assert sum(storage.storage.values()) == 5000


def test_hits_start_no_thread_and_expired_counters_are_swept_inline(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`limits`' memory storage restarted a timer thread on a hit once 10 ms had passed."""
    limiter = RateLimiter("3/second")
    started: list[object] = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self))
    for round_ in range(3):
        assert [limiter.hit(f"k{round_}") for _ in range(4)][:3] == [None] * 3
        time.sleep(0.02)
    assert started == []
    storage = limiter._limiter.storage
    monkeypatch.setattr(rate_limit, "SWEEP_SECONDS", 0.0)
    monkeypatch.setattr(time, "time", lambda real=time.time: real() + 10)  # all expired
    assert limiter.hit("late") is None
    assert storage.storage and all("late" in k for k in storage.storage)

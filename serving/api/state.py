"""Everything the service loads once at start-up, from one `Settings`: the results store,
the store, the model slot, the keys, the audit log, the rate limiter, the profile and the
pages' sessions. Routes receive it through a dependency; nothing is global."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import pyarrow as pa

from ecr_settings import Settings
from features.store import Store
from models.explain.points import Explainer
from models.policy.profiles import Profile, profile
from models.registry import LoadedModel, ModelRegistry
from serving.access.audit import AuditLog
from serving.access.keys import KeyRing
from serving.access.secret import load_secret
from serving.access.sessions import PageSessions
from serving.api.features_slot import FeaturesSlot
from serving.api.model_slot import ModelSlot
from serving.api.rate_limit import RateLimiter
from serving.results.store import ResultsStore

MODEL_CACHE = 3
"""Earlier model versions a worker keeps loaded to explain the periods they published."""
GOLDEN_ROWS = 32
"""Enterprises of the latest published period a candidate model must score and explain."""


def model_pointer(settings: Settings) -> Path:
    """Where the workers of one service agree on the model version they serve."""
    return settings.secret_file.parent / "service-model.json"


@dataclass
class ServiceState:
    settings: Settings
    results: ResultsStore
    store: Store
    registry: ModelRegistry
    models: ModelSlot
    keys: KeyRing
    audit: AuditLog
    rate_limiter: RateLimiter
    profile: Profile
    features: FeaturesSlot
    sessions: PageSessions
    """The regulator pages' sessions, in the results database (shared by every worker)."""
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    heavy: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(1))
    """Admits one large answer at a time per worker (a page of up to 1,000 results, a full
    explanation), run in a thread of its own: such requests take turns instead of sharing
    the interpreter lock, which made each cost half as much CPU again
    (`bench/request_cost.py`, a page 8 in flight: 36.9 ms CPU each sharing, 24.5 ms taking
    turns; the latency of the one that waits is what it would have been sharing). The
    waiting is on the event loop, not in a thread of the pool every synchronous route
    shares, so a burst of large answers cannot take the threads a cheap read needs."""
    _versions: dict[str, tuple[LoadedModel, Explainer]] = field(default_factory=dict)
    _versions_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, settings: Settings) -> ServiceState:
        results = ResultsStore(settings.database_url, settings.database_pool_size).migrate()
        secret = load_secret(settings.secret_file, settings.secret.get_secret_value()
                             if settings.secret else None)
        store = Store(settings.store)
        registry = ModelRegistry(settings.tracking_uri)
        registry.require_store()
        jurisdiction = profile(settings.profile)
        state = cls(settings, results, store, registry, None,  # type: ignore[arg-type]
                    KeyRing(results.engine, secret), AuditLog(results.engine),
                    RateLimiter(settings.rate_limit), jurisdiction,
                    FeaturesSlot(store, settings.materialise_features),
                    PageSessions(results.engine, secret,
                                 dt.timedelta(minutes=settings.page_idle_minutes),
                                 dt.timedelta(hours=settings.page_session_hours)))
        state.models = ModelSlot(registry.load, model_pointer(settings), state.golden_sample,
                                 jurisdiction)
        state.models.start(settings.model_uri)
        return state

    def model_of_version(self, version: str) -> tuple[LoadedModel, Explainer]:
        """The model registered as ``name/version`` (the one serving, or an earlier one that
        published a period), loaded once per worker and kept (`MODEL_CACHE` versions)."""
        served = self.models.current
        if version == served.loaded.version:
            return served.loaded, served.explainer
        with self._versions_lock:
            if version not in self._versions:
                loaded = self.registry.load(f"models:/{version}")
                self._versions[version] = (loaded, Explainer(loaded.model))
                while len(self._versions) > MODEL_CACHE:
                    self._versions.pop(next(iter(self._versions)))
            return self._versions[version]

    def golden_sample(self) -> pa.Table:
        """Feature rows a candidate model must handle: `GOLDEN_ROWS` enterprises of the
        latest published period, their features computed from the store at its date (none
        before a period is published)."""
        periods = self.results.periods()
        if not periods:
            return pa.table({})
        run = self.results.published_run(periods[-1])
        assert run is not None
        page = self.results.result_page(run.run_id, None, GOLDEN_ROWS)
        reader = self.features.current
        when = min(periods[-1], reader.data_end)
        return reader.compute([row.uscc for row in page], when).table

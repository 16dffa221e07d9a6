"""The few-enterprise feature reader of the published store version, reopened in the
background when an ingest publishes a new version (requests keep the reader they took, and
the old one serves until the new one is ready)."""

from __future__ import annotations

import threading

import structlog

from features.enterprise_features import EnterpriseFeatures
from features.store import Store

log = structlog.get_logger("ecr.features")


class FeaturesSlot:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._current = EnterpriseFeatures(store)
        self._lock = threading.Lock()

    @property
    def current(self) -> EnterpriseFeatures:
        """The reader to use now; starts reopening if the store moved on."""
        if self.store.version != self._current.version and not self._lock.locked():
            threading.Thread(target=self._reopen, daemon=True, name="features-reopen").start()
        return self._current

    def refresh(self) -> EnterpriseFeatures:
        """Reopen now if the store moved on (after this service's own ingest)."""
        self._reopen()
        return self._current

    def _reopen(self) -> None:
        with self._lock:
            if self.store.version == self._current.version:
                return
            try:
                self._current = EnterpriseFeatures(self.store)
                log.info("features reopened", store_version=self._current.version)
            except Exception as error:
                log.warning("features reopen failed", error=type(error).__name__)

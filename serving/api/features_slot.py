"""The in-memory readers of the published store version — the few-enterprise feature
reader and the enterprise directory (search) — reopened in the background when an ingest
publishes a new version (requests keep the readers they took, and the old ones serve until
the new ones are ready)."""

from __future__ import annotations

import threading

import structlog

from features.enterprise_directory import EnterpriseDirectory
from features.enterprise_features import EnterpriseFeatures
from features.store import Store

log = structlog.get_logger("ecr.features")


class FeaturesSlot:
    def __init__(self, store: Store, materialise: bool = False) -> None:
        self.store = store
        self.materialise = materialise
        self._current = EnterpriseFeatures(store, materialise=materialise)
        self._directory = EnterpriseDirectory(store)
        self._lock = threading.Lock()

    @property
    def current(self) -> EnterpriseFeatures:
        """The feature reader to use now; starts reopening if the store moved on."""
        self._follow()
        return self._current

    @property
    def directory(self) -> EnterpriseDirectory:
        """The enterprise directory to use now; starts reopening if the store moved on."""
        self._follow()
        return self._directory

    def refresh(self) -> EnterpriseFeatures:
        """Reopen now if the store moved on (after this service's own ingest)."""
        self._reopen()
        return self._current

    def _follow(self) -> None:
        if self.store.version != self._current.version and not self._lock.locked():
            threading.Thread(target=self._reopen, daemon=True, name="features-reopen").start()

    def _reopen(self) -> None:
        with self._lock:
            if self.store.version == self._current.version:
                return
            try:
                features = EnterpriseFeatures(self.store, materialise=self.materialise)
                directory = EnterpriseDirectory(self.store)
                self._current, self._directory = features, directory
                log.info("store readers reopened", store_version=features.version)
            except Exception as error:
                log.warning("store readers reopen failed", error=type(error).__name__)

"""Shared fixtures: a small synthetic province in a store, for tests that need realistic volume."""

from __future__ import annotations

import datetime as dt

import pytest

from features.ingest import ingest
from features.store import Store
from features.synth import generate


@pytest.fixture(scope="session")
def synthetic_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("synthetic")
    generate(folder / "province", enterprises=3000, months=36, seed=11, end_month="2025-12")
    store = Store(folder / "store")
    report = ingest([folder / "province"], store, today=dt.date(2026, 11, 22))
    assert all(c.rejected == 0 for c in report.tables.values())
    return store

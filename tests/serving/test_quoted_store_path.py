"""A quote in the store's path is data, never SQL: ingest, features, classify and rescore."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from features.engines import compute_features
from features.ingest import ingest
from features.store import Store
from models.policy.profiles import profile
from models.registry import ModelRegistry
from serving.results.store import ResultsStore
from serving.use_cases import classify_period, rescore
from tests.conftest import Trained
from tests.features.conftest import TODAY, VALID_ROWS, write_csv

NOVEMBER, DECEMBER = dt.date(2025, 11, 30), dt.date(2025, 12, 31)


def test_the_whole_chain_runs_on_a_store_whose_path_has_a_quote(
    synthetic_store: Store, trained: Trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = Store(tmp_path / "o'brien" / "x'; COPY (SELECT 42 AS pwned) TO 'pwned.csv'; --")
    shutil.copytree(synthetic_store.root, store.root)
    uscc = compute_features(store, NOVEMBER)["uscc"][0].as_py()
    record = {**VALID_ROWS["records"], "record_id": "quoted-1", "uscc": uscc,
              "occurred_on": "2025-12-01", "collected_on": "2025-12-02", "removed_on": ""}
    report = ingest([write_csv(tmp_path / "records.csv", [record])], store, today=TODAY)
    assert report.published and report.tables["records"].inserted == 1
    results = ResultsStore(f"sqlite:///{tmp_path}/results.db").migrate()
    model = ModelRegistry(trained.tracking_uri).load(trained.model_uri)
    for period in (NOVEMBER, DECEMBER):
        outcome = classify_period(store, results, model, period, profile(), batch_rows=700)
        assert results.published_run(period) is not None, outcome
    assert "abnormal_listing" in {t for w in outcome.warnings if w.uscc == uscc
                                  for t in w.triggers}
    assert rescore(store, results, model, NOVEMBER, DECEMBER, profile()).rescored > 0
    assert not list(tmp_path.rglob("pwned*"))

"""A published result's explanation from the feature values its run scored (the run's feature
snapshot), on SQLite and PostgreSQL: equal to the one recomputed from the store, and kept and
removed with its run."""

from __future__ import annotations

import datetime as dt

import pyarrow.compute as pc
import pytest
import sqlalchemy as sa

from features.engines import compute_features
from features.store import Store
from models.explain.points import Explainer
from models.policy.profiles import profile
from models.registry import LoadedModel, ModelRegistry
from serving.results.schema import feature_snapshots
from serving.results.store import ResultsStore
from serving.use_cases import classify_period, explain_enterprise, explain_published
from serving.use_cases.scope import Scope
from tests.conftest import Trained

DECEMBER = dt.date(2025, 12, 31)
EVERYWHERE = Scope()


@pytest.fixture
def loaded(trained: Trained) -> LoadedModel:
    return ModelRegistry(trained.tracking_uri).load(trained.model_uri)


def snapshot_rows(results: ResultsStore, run_id: str) -> int:
    with results.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.sum(feature_snapshots.c.rows)).where(
            feature_snapshots.c.run_id == run_id)).scalar_one() or 0)


def test_the_explanation_reads_the_snapshot_and_equals_the_recomputed_one(
        synthetic_store: Store, loaded: LoadedModel, database_url: str) -> None:
    results = ResultsStore(database_url).migrate()
    outcome = classify_period(synthetic_store, results, loaded, DECEMBER, profile(),
                              batch_rows=700)
    assert snapshot_rows(results, outcome.run.run_id) == outcome.run.rows  # one row each
    explainer = Explainer(loaded.model)
    codes = results.published_results(DECEMBER)["uscc"].to_pylist()
    for uscc in (codes[0], codes[len(codes) // 2], codes[-1]):
        explained = explain_published(results, synthetic_store, lambda _: (loaded, explainer),
                                      uscc, DECEMBER, EVERYWHERE)
        assert explained.features_source == "snapshot" and explained.matches_published
        again = explain_enterprise(synthetic_store, loaded, uscc, DECEMBER, profile(),
                                   explainer)
        assert explained.explanation == again
    scored = compute_features(synthetic_store, DECEMBER)
    kept = results.feature_row(outcome.run.run_id, codes[1])
    assert kept is not None and kept.to_pylist() == scored.filter(
        pc.equal(scored["uscc"], codes[1])).to_pylist()
    assert results.feature_row(outcome.run.run_id, "91410100MA0000000X") is None
    results.engine.dispose()


def test_a_run_without_a_snapshot_is_recomputed_and_the_snapshot_goes_with_its_run(
        synthetic_store: Store, loaded: LoadedModel, database_url: str) -> None:
    results = ResultsStore(database_url).migrate()
    first = classify_period(synthetic_store, results, loaded, DECEMBER, profile())
    uscc = results.published_results(DECEMBER)["uscc"][5].as_py()
    with results.engine.begin() as connection:  # as a run kept before migration 0008
        connection.execute(feature_snapshots.delete())
    explainer = Explainer(loaded.model)

    def models(_: str) -> tuple[LoadedModel, Explainer]:
        return loaded, explainer

    explained = explain_published(results, synthetic_store, models, uscc, DECEMBER,
                                  EVERYWHERE)
    assert explained.features_source == "store" and explained.matches_published
    assert results.feature_row(first.run.run_id, uscc) is None

    second = classify_period(synthetic_store, results, loaded, DECEMBER, profile(),
                             force=True)
    assert snapshot_rows(results, second.run.run_id) == second.run.rows
    run = results.begin_run(DECEMBER, "monthly", loaded.uri, loaded.version,
                            loaded.rules_version, profile().key, "sha256:x", "v")
    results.write_feature_snapshot(run, compute_features(synthetic_store, DECEMBER))
    results.abandon(run)  # an abandoned run leaves no snapshot behind
    assert snapshot_rows(results, run) == 0
    assert explain_published(results, synthetic_store, models, uscc, DECEMBER,
                             EVERYWHERE).features_source == "snapshot"
    results.engine.dispose()

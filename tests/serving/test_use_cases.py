"""The use cases validate their own arguments and refuse with NotFound / InvalidRequest, the
same for every face; loading a model leaves MLflow's process-wide state alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import mlflow
import pytest
from typer.testing import CliRunner

from ecr_cli.main import app
from features.store import Store
from models.policy.profiles import profile
from models.registry import ModelRegistry
from serving.results.store import ResultsStore
from serving.use_cases import (
    InvalidRequest,
    NotFound,
    Scope,
    enterprise_history,
    explain_enterprise,
    period_region_risk,
    period_warnings,
    rescore,
)
from tests.conftest import Trained
from tests.serving.test_results_store import begin, result_rows

DECEMBER = dt.date(2025, 12, 31)


@pytest.fixture
def results(tmp_path: Path) -> ResultsStore:
    return ResultsStore(f"sqlite:///{tmp_path}/results.db").migrate()


def test_loading_a_model_sets_no_global_mlflow_state(trained: Trained) -> None:
    before = mlflow.get_tracking_uri()
    loaded = ModelRegistry(trained.tracking_uri).load(trained.model_uri)
    assert mlflow.get_tracking_uri() == before
    assert loaded.model.booster.model_to_string() == trained.model.booster.model_to_string()
    assert loaded.rules_version == trained.model.rules.version_id
    assert loaded.run_id is not None and loaded.uri == trained.model_uri


def test_explaining_an_unknown_enterprise_is_not_found(
        synthetic_store: Store, trained: Trained) -> None:
    loaded = ModelRegistry(trained.tracking_uri).load(trained.model_uri)
    with pytest.raises(NotFound, match="no enterprise with this code was alive"):
        explain_enterprise(synthetic_store, loaded, "91350200776049653A", DECEMBER, profile())


def test_rescore_refuses_a_window_that_ends_before_it_starts(
        synthetic_store: Store, trained: Trained, results: ResultsStore) -> None:
    loaded = ModelRegistry(trained.tracking_uri).load(trained.model_uri)
    for since in (DECEMBER, DECEMBER + dt.timedelta(days=1)):
        with pytest.raises(InvalidRequest, match="must be before the as-of date"):
            rescore(synthetic_store, results, loaded, since, DECEMBER, profile())
    assert results.periods() == []


def test_reads_of_what_is_not_published(results: ResultsStore) -> None:
    with pytest.raises(NotFound, match="no published classification"):
        enterprise_history(results, "91350200776049653A")
    with pytest.raises(NotFound, match="no classification is published for 2025-12-31"):
        period_region_risk(results, DECEMBER, Scope())
    with pytest.raises(NotFound, match="no classification is published for 2025-12-31"):
        period_warnings(results, DECEMBER)


def test_history_reads_the_code_without_spaces_and_case(results: ResultsStore) -> None:
    run = begin(results, DECEMBER)
    rows = result_rows(2, 300.0)
    results.write_results(run, rows)
    results.publish(run)
    uscc = rows["uscc"][0].as_py()
    entries = enterprise_history(results, f"  {uscc.lower()}\t")
    assert [e.result.uscc for e in entries] == [uscc]


def test_the_commands_refuse_what_is_not_published(tmp_path: Path) -> None:
    database = ["--database-url", f"sqlite:///{tmp_path}/results.db"]
    result = CliRunner().invoke(app, ["warnings", "--as-of", "2025-12-31", *database])
    assert result.exit_code == 2
    assert result.stderr == "error: no classification is published for 2025-12-31\n"
    assert result.stdout == ""

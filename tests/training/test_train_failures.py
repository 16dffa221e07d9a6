"""A training run that fails registers nothing: bad tables stop before any run, and a model is
registered only at the very end, after the baseline."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

import training.pipeline as pipeline
from ecr_cli.main import app
from models.registry import REGISTERED_MODEL
from training.pipeline import TrainConfig, train
from training.tracking import configure

runner = CliRunner()
ROWS = 300


def outcome(rows: int = ROWS) -> np.ndarray:
    return (np.random.default_rng(0).random(rows) < 0.3).astype(int)


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


def versions(uri: str) -> list[object]:
    return MlflowClient(tracking_uri=uri, registry_uri=uri).search_model_versions(
        f"name = '{REGISTERED_MODEL}'")


def test_constant_only_table_fails_and_registers_nothing(tracking: str, tmp_path: Path) -> None:
    table = tmp_path / "constonly.csv"
    pcsv.write_csv(pa.table({"c": np.ones(ROWS), "y": outcome()}), table)
    result = runner.invoke(app, ["train", "--table", str(table), "--label", "y"])
    assert result.exit_code == 2
    assert "error: " in result.stderr and "'c'" in result.stderr
    assert "constant" in result.stderr
    assert versions(tracking) == []


def test_infinite_value_is_named_and_registers_nothing(tracking: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=ROWS)
    a[5] = np.inf
    table = tmp_path / "inf.csv"
    pcsv.write_csv(pa.table({"a": a, "b": rng.normal(size=ROWS), "y": outcome()}), table)
    result = runner.invoke(app, ["train", "--table", str(table), "--label", "y"])
    assert result.exit_code == 2
    assert "column 'a'" in result.stderr and "row 6" in result.stderr
    assert "inf" in result.stderr
    assert versions(tracking) == []


def test_a_failed_baseline_is_recorded_and_registers_nothing(
    tracking: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=ROWS)
    y = (rng.random(ROWS) < 1 / (1 + np.exp(-2 * x))).astype(int)
    table = tmp_path / "good.csv"
    pcsv.write_csv(pa.table({"x": x, "z": rng.normal(size=ROWS), "y": y}), table)

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("the baseline broke")

    monkeypatch.setattr(pipeline, "fit_scorecard", broken)
    configure(tracking)
    said: list[str] = []
    result = train(TrainConfig(table=table, label="y"), report=said.append)
    assert result.version is None and versions(tracking) == []
    assert any("woe_scorecard baseline failed" in reason and "the baseline broke" in reason
               for reason in result.degenerate)
    assert any("WOE scorecard: failed: ValueError: the baseline broke" in line for line in said)
    runs = mlflow.search_runs(search_all_experiments=True,
                              filter_string="tags.`ecr.model_type` = 'woe_scorecard'")
    assert len(runs) == 1 and runs["tags.ecr.baseline_error"][0].endswith("the baseline broke")


def test_successful_run_registers_its_model(tracking: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=ROWS)
    y = (rng.random(ROWS) < 1 / (1 + np.exp(-2 * x))).astype(int)
    table = tmp_path / "good.csv"
    pcsv.write_csv(pa.table({"x": x, "y": y}), table)
    configure(tracking)
    result = train(TrainConfig(table=table, label="y"), report=lambda _: None)
    assert result.model_uri == f"models:/{REGISTERED_MODEL}/1" and result.version == "1"
    (version,) = versions(tracking)
    assert version.run_id == result.run_id  # type: ignore[attr-defined]
    run = MlflowClient().get_run(result.run_id)
    assert run.data.tags["ecr.registered_version"] == "1" and run.info.status == "FINISHED"

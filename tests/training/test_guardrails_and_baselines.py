"""Small tables learn; a degenerate model is refused unless --allow-degenerate; the baselines
run in the same split and survive columns that optimal binning cannot bin."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from ecr_cli.main import app
from models.registry import REGISTERED_MODEL

runner = CliRunner()


@pytest.fixture
def tracking(tmp_path: Path) -> Iterator[str]:
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        yield uri


def small_table(rows: int, seed: int, signal: float = 1.0) -> pa.Table:
    """Numbers, a category and awkward columns; the outcome depends on three columns."""
    rng = np.random.default_rng(seed)
    amount = rng.normal(size=rows)
    visits = rng.poisson(2, rows).astype(float)
    sector = rng.choice(["farm", "shop", "plant", "bank"], rows)
    logit = -1.0 + signal * (1.2 * amount + 0.4 * visits + np.where(sector == "plant", 1.2, 0))
    target = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    rare = np.zeros(rows)
    rare[:3] = 1.0
    return pa.table({
        "amount": amount, "visits": visits, "sector": sector, "target": target,
        "constant": np.ones(rows), "all_missing": pa.array([None] * rows, pa.float64()),
        "one_category": ["same"] * rows, "almost_constant": rare,
    })


def train(table: pa.Table, folder: Path, *extra: str) -> tuple[int, str, str]:
    """Exit code, everything printed, and standard output alone."""
    path = folder / "table.parquet"
    pq.write_table(table, path)
    result = runner.invoke(app, ["train", "--table", str(path), "--label", "target",
                                 "--trials", "3", *extra])
    return result.exit_code, result.output, result.stdout


def runs_of(tracking: str, model_type: str) -> list:
    client = MlflowClient(tracking)
    experiment = client.get_experiment_by_name("enterprise-credit-risk")
    return client.search_runs([experiment.experiment_id],
                              f"tags.`ecr.model_type` = '{model_type}'")


def test_a_small_table_learns_and_beats_nothing_silently(tmp_path: Path, tracking: str) -> None:
    code, output, _ = train(small_table(600, seed=1), tmp_path)
    assert code == 0, output
    (model,) = runs_of(tracking, "lightgbm")
    assert model.data.metrics["cv_rounds"] >= 20
    assert model.data.metrics["test_roc_auc"] > 0.7
    assert model.data.metrics["test_distinct_score_share"] > 0.9
    assert "degenerate" not in output.lower().replace("--allow-degenerate", "")


def test_the_scorecard_survives_columns_it_cannot_bin(tmp_path: Path, tracking: str) -> None:
    code, output, _ = train(small_table(800, seed=2), tmp_path)
    assert code == 0, output
    (scorecard,) = runs_of(tracking, "woe_scorecard")
    assert "ecr.baseline_error" not in scorecard.data.tags
    dropped = json.loads(scorecard.data.params["dropped_columns"])
    assert set(dropped) == {"constant", "one_category", "almost_constant", "all_missing"}
    assert "not binned" in output and "all_missing (all missing)" in " ".join(output.split())
    assert scorecard.data.metrics["test_roc_auc"] > 0.7
    (plain,) = runs_of(tracking, "lightgbm_default")
    assert plain.data.metrics["test_roc_auc"] > 0.6


def test_a_degenerate_model_is_not_registered_unless_allowed(tmp_path: Path,
                                                             tracking: str) -> None:
    noise = small_table(600, seed=3, signal=0.0)
    code, output, _ = train(noise, tmp_path)
    assert code == 3, output
    assert "degenerate model, not registered" in " ".join(output.split())
    client = MlflowClient(tracking)
    assert not client.search_model_versions(f"name = '{REGISTERED_MODEL}'")
    (model,) = runs_of(tracking, "lightgbm")
    assert model.data.metrics["degenerate"] == 1.0 and model.data.tags["ecr.degenerate"]
    code, output, stdout = train(noise, tmp_path, "--allow-degenerate")
    assert code == 0, output
    assert stdout.strip().splitlines()[-1].endswith(f"models:/{REGISTERED_MODEL}/1")

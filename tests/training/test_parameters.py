"""Parameters scale with the rows: small tables can split and isolate their categories;
provinces keep LightGBM's usual floors; tuning always tries the defaults and stumps first."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np

from models.feature_frame import FeatureSpec
from training.parameters import additive_params, categorical_params, default_params
from training.protocol import stratified_protocol
from training.tuning import tune


def test_floors_scale_with_rows() -> None:
    assert default_params(500)["min_child_samples"] == 10
    assert default_params(1_000_000)["min_child_samples"] == 200
    assert categorical_params(500) == {"min_data_per_group": 10}
    assert categorical_params(1_000_000) == {"min_data_per_group": 100}
    stumps = additive_params(500)
    assert stumps["max_depth"] == 1 and stumps["num_leaves"] == 2


def test_tuning_tries_defaults_then_stumps(tmp_path: Path) -> None:
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/m.db")
    mlflow.set_experiment("tuning-order")
    try:
        _tuning_order()
    finally:
        mlflow.set_tracking_uri(previous)


def _tuning_order() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 3))
    y = (rng.random(600) < 1 / (1 + np.exp(-x[:, 0]))).astype(int)
    spec = FeatureSpec(("a", "b", "c"))
    plan = stratified_protocol(y, 0.2, 3, seed=1)
    fixed = {"objective": "binary", "verbosity": -1, "seed": 1, "deterministic": True,
             "force_row_wise": True, "num_threads": 1}
    seen: list[dict] = []
    with mlflow.start_run():
        result = tune(x, y, spec, plan.folds, fixed, len(plan.final_train), 1, 2, None,
                      on_trial=lambda t: seen.append(dict(t.params)))
    assert seen[0] == default_params(len(plan.final_train))
    assert seen[1] == additive_params(len(plan.final_train))
    assert result.params in seen and result.cross_validation.rounds >= 1

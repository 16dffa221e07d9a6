"""On the trained model: contributions equal LightGBM's pred_contrib, points add up."""

from __future__ import annotations

import numpy as np
import pytest

from models.explain.points import Explainer
from models.explain.treeshap import (
    FEW_ROWS,
    UnsupportedModelError,
    compile_forest,
    leaf_indices,
    shap_values,
)
from tests.conftest import Trained


def test_contributions_equal_pred_contrib(trained: Trained) -> None:
    x = trained.model.spec.matrix(trained.table)
    assert np.isnan(x).any() and trained.model.spec.levels  # gaps and categories exercised
    ours = shap_values(trained.forest, x)
    theirs = trained.model.booster.predict(x, pred_contrib=True)
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() <= 1e-9


def test_decisions_reach_lightgbm_leaves(trained: Trained) -> None:
    x = trained.model.spec.matrix(trained.table)
    expected = trained.model.booster.predict(x, pred_leaf=True)
    assert (leaf_indices(trained.forest, x) == expected).all()


def test_single_thread_gives_the_same_numbers(trained: Trained) -> None:
    x = trained.model.spec.matrix(trained.table.slice(0, 700))
    forest = trained.forest
    assert np.array_equal(shap_values(forest, x, threads=1), shap_values(forest, x))


def test_a_row_or_two_at_a_time_give_the_blocked_numbers(trained: Trained) -> None:
    """One or two rows (the service's requests) take the row-at-a-time kernel."""
    x = trained.model.spec.matrix(trained.table.slice(0, 200))
    blocked = shap_values(trained.forest, x)
    theirs = trained.model.booster.predict(x, pred_contrib=True)
    assert FEW_ROWS > 2  # so that these take the row-at-a-time kernel
    for start in range(0, 200, 2):
        for rows in (1, 2):
            ours = shap_values(trained.forest, x[start:start + rows])
            assert np.array_equal(ours, blocked[start:start + rows])
            assert np.abs(ours - theirs[start:start + rows]).max() <= 1e-9


def test_points_add_up_to_the_model_score(trained: Trained) -> None:
    model = trained.model
    attribution = Explainer(model).attribute(model.spec.matrix(trained.table))
    scores = model.predict(trained.table)["model_score"].to_numpy()
    assert np.allclose(attribution.model_score, scores, rtol=0, atol=1e-9)
    total = attribution.base_points + attribution.points.sum(axis=1)
    assert np.abs(total - scores).max() <= 1e-6
    # the sign of every feature's points is the sign of its log-odds contribution
    assert not (np.sign(attribution.points) * np.sign(attribution.log_odds) < 0).any()


def test_a_monotone_feature_raises_points_in_its_direction(trained: Trained) -> None:
    model = trained.model
    gain = model.booster.feature_importance("gain")
    increasing = [j for j, m in enumerate(model.spec.monotone) if m == 1]
    column = max(increasing, key=lambda j: gain[j])  # the risk-raising feature used most
    assert gain[column] > 0
    rows = trained.table.slice(0, 1000)
    x = model.spec.matrix(rows)
    explainer = Explainer(model)
    before = explainer.attribute(x)
    x_more = x.copy()
    x_more[:, column] = x[:, column] + 3
    after = explainer.attribute(x_more)
    assert (after.model_score >= before.model_score - 1e-9).all()
    assert (after.model_score > before.model_score).any()
    # the feature's own points rise on average (per row they can dip through interactions)
    assert after.points[:, column].mean() > before.points[:, column].mean()


def test_matrix_shape_is_checked(trained: Trained) -> None:
    with pytest.raises(ValueError, match="feature columns"):
        shap_values(trained.forest, np.zeros((3, 2)))


def test_multi_output_boosters_are_refused() -> None:
    import lightgbm as lgb

    rng = np.random.default_rng(0)
    booster = lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1},
                        lgb.Dataset(rng.normal(size=(300, 3)), rng.integers(0, 3, 300)), 3)
    with pytest.raises(UnsupportedModelError, match="3 outputs per round"):
        compile_forest(booster)

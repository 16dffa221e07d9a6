"""Global explanations aggregate per-row points by feature and by dimension."""

from __future__ import annotations

import numpy as np

from models.explain.points import Attribution
from training.global_explanation import (
    dimension_importance_in_points,
    feature_importance_in_points,
)


def attribution() -> Attribution:
    points = np.array([[10.0, -4.0, 1.0], [-6.0, 2.0, -1.0]])
    return Attribution(("penalties_12m", "honours_36m", "my_column"), -2.0, 300.0,
                       points / 100, points, np.array([307.0, 295.0]))


def test_features_are_ranked_by_mean_absolute_points() -> None:
    table = feature_importance_in_points(attribution())
    assert table["feature"].tolist() == ["penalties_12m", "honours_36m", "my_column"]
    assert table["mean_abs_points"].tolist() == [8.0, 3.0, 1.0]
    assert table.loc[0, "zh"] == "近12个月行政处罚次数" and table.loc[2, "dimension"] == ""


def test_dimensions_sum_their_features_per_row_before_averaging() -> None:
    table = dimension_importance_in_points(attribution()).set_index("dimension")
    assert table.loc["supervision", "mean_abs_points"] == 8.0
    assert table.loc["social", "mean_abs_points"] == 3.0
    assert set(table.index) == {"supervision", "social"}


def test_columns_outside_the_catalog_have_no_dimension() -> None:
    only_own = Attribution(("my_column",), 0.0, 300.0, np.ones((2, 1)), np.ones((2, 1)),
                           np.array([301.0, 301.0]))
    assert dimension_importance_in_points(only_own).empty

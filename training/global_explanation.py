"""Global explanations of a trained model, in score points, logged to its MLflow run."""

from __future__ import annotations

import mlflow
import numpy as np
import numpy.typing as npt
import pandas as pd

from features.catalog import BY_NAME, DIMENSION_NAMES
from models.explain.points import Attribution, Explainer
from models.risk_model import RiskModel
from training.figures import log_figure, shap_summary_figure

SUMMARY_ROWS = 2000
"""Rows drawn in the beeswarm plots (the tables use every test row)."""


def feature_importance_in_points(attribution: Attribution) -> pd.DataFrame:
    """Mean |points| and mean points per feature, largest first, with catalog labels."""
    rows = []
    for j, name in enumerate(attribution.names):
        entry = BY_NAME.get(name)
        rows.append({
            "feature": name, "zh": entry.zh if entry else name,
            "en": entry.en if entry else name,
            "dimension": str(entry.dimension) if entry else "",
            "mean_abs_points": float(np.abs(attribution.points[:, j]).mean()),
            "mean_points": float(attribution.points[:, j].mean()),
            "mean_abs_log_odds": float(np.abs(attribution.log_odds[:, j]).mean()),
        })
    return pd.DataFrame(rows).sort_values("mean_abs_points", ascending=False,
                                          ignore_index=True)


def dimension_importance_in_points(attribution: Attribution) -> pd.DataFrame:
    """Mean |points| of each indicator dimension (the dimension's points summed per row)."""
    dimensions = np.array([str(BY_NAME[n].dimension) if n in BY_NAME else ""
                           for n in attribution.names])
    rows = []
    for dimension, (zh, en) in DIMENSION_NAMES.items():
        columns = dimensions == str(dimension)
        if columns.any():
            per_row = attribution.points[:, columns].sum(axis=1)
            rows.append({"dimension": str(dimension), "zh": zh, "en": en,
                         "features": int(columns.sum()),
                         "mean_abs_points": float(np.abs(per_row).mean()),
                         "mean_points": float(per_row.mean())})
    columns = ["dimension", "zh", "en", "features", "mean_abs_points", "mean_points"]
    return pd.DataFrame(rows, columns=columns).sort_values(
        "mean_abs_points", ascending=False, ignore_index=True)


def log_global_explanation(model: RiskModel, x: npt.NDArray[np.float64]) -> Attribution:
    """Explain the rows ``x`` (the test rows) and log the tables, metrics and beeswarm."""
    attribution = Explainer(model).attribute(x)
    features = feature_importance_in_points(attribution)
    dimensions = dimension_importance_in_points(attribution)
    mlflow.log_table(features, "explanations/mean_abs_points_by_feature.json")
    mlflow.log_table(dimensions, "explanations/mean_abs_points_by_dimension.json")
    mlflow.log_metrics({"explanation_base_points": attribution.base_points} | {
        f"mean_abs_points_{row.dimension}": row.mean_abs_points
        for row in dimensions.itertuples()})
    rows = np.sort(np.random.default_rng(0).permutation(len(x))[:SUMMARY_ROWS])
    for values, unit, name in ((attribution.points, "score points", "points"),
                               (attribution.log_odds, "log-odds", "log_odds")):
        with_bias = np.column_stack([values[rows], np.zeros(len(rows))])
        log_figure(shap_summary_figure(with_bias, x[rows], list(attribution.names), unit),
                   f"figures/shap_summary_{name}_test.png")
    return attribution

"""Model-quality metrics a credit-risk modeller reads: ranking, calibration, classes, stability."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score, roc_curve

from models.levels import LEVELS

ECE_BINS = 10


def ks_statistic(outcome: npt.ArrayLike, probability: npt.ArrayLike) -> float:
    """Kolmogorov–Smirnov: the largest gap between the score distributions of the two groups."""
    fpr, tpr, _ = roc_curve(outcome, probability)
    return float(np.max(tpr - fpr))


def expected_calibration_error(
    outcome: npt.ArrayLike, probability: npt.ArrayLike, bins: int = ECE_BINS
) -> float:
    """Σ_b (n_b / n) · |observed rate_b − mean probability_b| over equal-count bins.

    Equal-count bins (adaptive ECE) keep every bin populated when most enterprises are low
    risk; with equal-width bins nearly all rows would share the first bin.
    """
    y = np.asarray(outcome, dtype=np.float64)
    p = np.asarray(probability, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    error = 0.0
    for part in np.array_split(order, bins):
        if part.size:
            error += part.size * abs(y[part].mean() - p[part].mean())
    return float(error / y.size)


def class_table(outcome: npt.ArrayLike, levels: npt.ArrayLike) -> pd.DataFrame:
    """Share of enterprises and observed outcome rate per risk level, A to D (empty levels
    kept)."""
    frame = pd.DataFrame({"outcome": np.asarray(outcome, dtype=np.float64),
                          "risk_level": np.asarray(levels)})
    grouped = frame.groupby("risk_level")["outcome"].agg(["size", "sum"]).reindex(
        list(LEVELS), fill_value=0)
    grouped["share"] = grouped["size"] / max(len(frame), 1)
    grouped["outcome_rate"] = np.where(grouped["size"] > 0,
                                       grouped["sum"] / grouped["size"].clip(lower=1), np.nan)
    return grouped.rename(columns={"size": "enterprises", "sum": "outcomes"})


def evaluate(
    outcome: npt.ArrayLike, probability: npt.ArrayLike, levels: npt.ArrayLike | None = None
) -> dict[str, float]:
    """ROC AUC, Gini, KS, Brier, log loss, ECE and, given risk levels, share and rate
    per level."""
    y = np.asarray(outcome, dtype=np.int64)
    p = np.clip(np.asarray(probability, dtype=np.float64), 1e-12, 1 - 1e-12)
    metrics: dict[str, float] = {"rows": float(y.size), "outcome_rate": float(y.mean())}
    if 0 < y.sum() < y.size:
        auc = float(roc_auc_score(y, p))
        metrics |= {"roc_auc": auc, "gini": 2 * auc - 1, "ks": ks_statistic(y, p)}
    metrics |= {
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "ece": expected_calibration_error(y, p),
    }
    if levels is not None:
        table = class_table(y, levels)
        for level, row in table.iterrows():
            metrics[f"share_{level}"] = float(row["share"])
            if row["enterprises"]:
                metrics[f"outcome_rate_{level}"] = float(row["outcome_rate"])
    return metrics


def class_order_holds(table: pd.DataFrame) -> bool:
    """Every class non-empty and the observed outcome rate strictly rising A < B < C < D."""
    rates = table["outcome_rate"].to_numpy()
    return bool((table["enterprises"] > 0).all() and np.all(np.diff(rates) > 0))

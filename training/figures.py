"""Figures logged with every training run: ROC, calibration, outcome rate by class, SHAP."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mlflow
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import roc_auc_score, roc_curve

from training.metrics import ECE_BINS

Curve = tuple[npt.NDArray, npt.NDArray]


def roc_figure(curves: Mapping[str, Curve]) -> Figure:
    """ROC curves of several models on the same rows."""
    figure, axes = plt.subplots(figsize=(5, 5))
    for name, (y, p) in curves.items():
        fpr, tpr, _ = roc_curve(y, p)
        axes.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(y, p):.3f})")
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC, test")
    axes.legend(loc="lower right")
    figure.tight_layout()
    return figure


def calibration_figure(curves: Mapping[str, Curve], bins: int = ECE_BINS) -> Figure:
    """Observed outcome rate against mean predicted probability, equal-count bins."""
    figure, axes = plt.subplots(figsize=(5, 5))
    top = 0.0
    for name, (y, p) in curves.items():
        order = np.argsort(p, kind="stable")
        parts = [part for part in np.array_split(order, bins) if part.size]
        predicted = [p[part].mean() for part in parts]
        observed = [y[part].mean() for part in parts]
        axes.plot(predicted, observed, marker="o", label=name)
        top = max(top, *predicted, *observed)
    axes.plot([0, top], [0, top], color="grey", linestyle=":")
    axes.set(xlabel="mean predicted probability", ylabel="observed outcome rate",
             title="Calibration, test")
    axes.legend(loc="upper left")
    figure.tight_layout()
    return figure


def class_rate_figure(tables: Mapping[str, pd.DataFrame]) -> Figure:
    """Observed outcome rate and share of enterprises per class, model by model."""
    figure, (rate_axes, share_axes) = plt.subplots(1, 2, figsize=(9, 4))
    width = 0.8 / max(len(tables), 1)
    for i, (name, table) in enumerate(tables.items()):
        x = np.arange(len(table)) + i * width
        rate_axes.bar(x, table["outcome_rate"].fillna(0), width, label=name)
        share_axes.bar(x, table["share"], width, label=name)
    for axes, title in ((rate_axes, "observed outcome rate"), (share_axes, "share")):
        axes.set_xticks(np.arange(len(next(iter(tables.values())))) + 0.4 - width / 2)
        axes.set_xticklabels(next(iter(tables.values())).index)
        axes.set(title=f"{title} by class, test")
        axes.legend()
    figure.tight_layout()
    return figure


def shap_summary_figure(contributions: npt.NDArray, values: npt.NDArray,
                        names: list[str], unit: str = "log-odds") -> Figure:
    """SHAP beeswarm of per-feature contributions (the last column, the bias, is ignored)."""
    import shap

    shap.summary_plot(contributions[:, :-1], values, feature_names=names, show=False,
                      max_display=20)
    figure = plt.gcf()
    figure.axes[0].set_xlabel(f"contribution ({unit})")
    figure.tight_layout()
    return figure


def log_figure(figure: Figure, path: str, run_id: str | None = None) -> None:
    """Log to ``run_id`` (default: the active run) and free the figure."""
    if run_id is None:
        mlflow.log_figure(figure, path)
    else:
        mlflow.MlflowClient().log_figure(run_id, figure, path)
    plt.close(figure)

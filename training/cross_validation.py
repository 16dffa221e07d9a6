"""Boost on every tuning fold and read the folds' *average* validation curve.

The number of rounds is the argmin of the mean validation log loss over the folds (each
fold's curve is carried at its last value after it stops early), so one unlucky window cannot
stop the model at three trees. The same curve scores a tuning trial.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score

from models.feature_frame import FeatureSpec
from training.booster import EARLY_STOPPING_ROUNDS, max_rounds
from training.protocol import Fold

FoldDone = Callable[[int, float], None]
"""Called after each fold with (fold index, that fold's best validation log loss); may raise
to stop (Optuna pruning)."""


@dataclass(frozen=True)
class CrossValidation:
    rounds: int
    """Boosting rounds at the minimum of the average validation log loss."""
    valid_log_loss: float
    """The average validation log loss at ``rounds``."""
    fold_log_loss: tuple[float, ...]
    fold_auc: tuple[float, ...]
    """Each fold's validation ROC AUC at ``rounds``."""
    out_of_fold: npt.NDArray[np.float64]
    """Raw log-odds of every fold's validation rows at ``rounds`` (NaN elsewhere)."""


def dataset(x: npt.NDArray, y: npt.NDArray, spec: FeatureSpec, rows: npt.NDArray,
            reference: lgb.Dataset | None = None) -> lgb.Dataset:
    """A LightGBM dataset of ``rows`` (binned like ``reference`` when given)."""
    return lgb.Dataset(x[rows], y[rows], feature_name=list(spec.names),
                       categorical_feature=spec.categorical_indices, reference=reference,
                       free_raw_data=False,
                       params={"verbosity": -1, "feature_pre_filter": False})


def cross_validate(
    x: npt.NDArray, y: npt.NDArray, spec: FeatureSpec, folds: tuple[Fold, ...],
    params: Mapping[str, Any], on_fold: FoldDone | None = None,
) -> CrossValidation:
    """Fit ``params`` on every fold (early stopping on the fold's own block) and choose the
    rounds on the average curve."""
    limit = max_rounds(params)
    curves, boosters = [], []
    for index, fold in enumerate(folds):
        train_set = dataset(x, y, spec, fold.train)
        valid_set = dataset(x, y, spec, fold.valid, reference=train_set)
        history: dict[str, dict[str, list[float]]] = {}
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Overriding the parameters from Reference Dataset")
            booster = lgb.train(
                dict(params), train_set, num_boost_round=limit, valid_sets=[valid_set],
                valid_names=["valid"],
                callbacks=[lgb.record_evaluation(history),
                           lgb.early_stopping(EARLY_STOPPING_ROUNDS, first_metric_only=True,
                                              verbose=False)])
        curve = np.asarray(history["valid"]["binary_logloss"], dtype=np.float64)
        curves.append(np.concatenate([curve, np.full(limit - curve.size, curve[-1])]))
        boosters.append(booster)
        if on_fold is not None:
            on_fold(index, float(curve.min()))
    mean = np.mean(curves, axis=0)
    rounds = int(np.argmin(mean)) + 1
    losses, aucs, held_out = [], [], []
    for fold, booster, curve in zip(folds, boosters, curves, strict=True):
        raw = booster.predict(x[fold.valid], raw_score=True,
                              num_iteration=min(rounds, booster.current_iteration()))
        held_out.append(raw)
        losses.append(float(curve[rounds - 1]))
        labels = y[fold.valid]
        aucs.append(float(roc_auc_score(labels, raw)) if 0 < labels.sum() < labels.size
                    else float("nan"))
    return CrossValidation(rounds, float(mean[rounds - 1]), tuple(losses), tuple(aucs),
                           average_out_of_fold(folds, held_out, len(y)))


def average_out_of_fold(folds: tuple[Fold, ...], scores: list[npt.NDArray], rows: int
                        ) -> npt.NDArray[np.float64]:
    """Each row's mean held-out score over the folds that validate it (repeated folds see a
    row more than once); NaN for rows no fold validates."""
    total, seen = np.zeros(rows), np.zeros(rows)
    for fold, score in zip(folds, scores, strict=True):
        np.add.at(total, fold.valid, score)
        np.add.at(seen, fold.valid, 1)
    with np.errstate(invalid="ignore"):
        return np.where(seen > 0, total / np.maximum(seen, 1), np.nan)


def fit_rounds(x: npt.NDArray, y: npt.NDArray, spec: FeatureSpec, rows: npt.NDArray,
               params: Mapping[str, Any], rounds: int) -> lgb.Booster:
    """The final booster: ``rounds`` rounds on ``rows``, no early stopping."""
    return lgb.train(dict(params), dataset(x, y, spec, rows), num_boost_round=rounds)

"""Fit the LightGBM booster: monotone constraints, early stopping, deterministic given a seed."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy.typing as npt

from models.feature_frame import FeatureSpec

MAX_ROUNDS = 3000
LEAF_BUDGET = 10_000
"""Trees × leaves per tree at most: the explanation of every enterprise costs about one table
row per leaf, so this keeps a month's explanations of 1,000,000 enterprises under a minute on
two cores (`bench/explain.py`: 300 trees × 29 leaves took 38 s, 300 × 48 took 61 s)."""
EARLY_STOPPING_ROUNDS = 100
DEFAULT_PARAMS: dict[str, Any] = {
    "learning_rate": 0.05,
    "max_depth": 6,
    "num_leaves": 31,
    "min_child_samples": 200,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "lambda_l2": 1.0,
}
"""Untuned starting point; depth is bounded because explanation cost grows with it."""


def default_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def fixed_params(spec: FeatureSpec, seed: int, threads: int) -> dict[str, Any]:
    """Parameters that are not tuned: objective, constraints and everything determinism needs."""
    return {
        "objective": "binary",
        "metric": ["binary_logloss", "auc"],
        "first_metric_only": True,
        "monotone_constraints": list(spec.monotone),
        "monotone_constraints_method": "advanced",
        "bagging_freq": 1,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": threads,
        "verbosity": -1,
    }


@dataclass
class Fitted:
    booster: lgb.Booster
    best_iteration: int
    valid_log_loss: float
    valid_auc: float


def datasets(
    x: npt.NDArray, y: npt.NDArray, spec: FeatureSpec, train: npt.NDArray, valid: npt.NDArray
) -> tuple[lgb.Dataset, lgb.Dataset]:
    """LightGBM datasets for the train and validation rows (validation binned like train)."""
    categorical = spec.categorical_indices
    train_set = lgb.Dataset(x[train], y[train], feature_name=list(spec.names),
                            categorical_feature=categorical, free_raw_data=False,
                            params={"verbosity": -1, "feature_pre_filter": False})
    valid_set = lgb.Dataset(x[valid], y[valid], reference=train_set, free_raw_data=False)
    return train_set, valid_set


def max_rounds(params: Mapping[str, Any]) -> int:
    """Boosting rounds allowed by the explanation budget for this number of leaves."""
    return min(MAX_ROUNDS, LEAF_BUDGET // int(params.get("num_leaves", 31)))


def fit(
    train_set: lgb.Dataset, valid_set: lgb.Dataset, params: Mapping[str, Any],
    callbacks: list[Callable[..., Any]] | None = None,
) -> Fitted:
    """Boost until the validation log loss stops improving for EARLY_STOPPING_ROUNDS rounds,
    within the explanation budget (`max_rounds`)."""
    with warnings.catch_warnings():
        # The validation set shares the training set's bins; LightGBM warns that the training
        # parameters override the ones it was built with, which is what is wanted here.
        warnings.filterwarnings("ignore", "Overriding the parameters from Reference Dataset")
        booster = lgb.train(
            dict(params), train_set, num_boost_round=max_rounds(params), valid_sets=[valid_set],
            valid_names=["valid"],
            callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, first_metric_only=True,
                                          verbose=False), *(callbacks or [])],
        )
    scores = booster.best_score["valid"]
    best = booster.best_iteration or booster.current_iteration()
    if booster.current_iteration() > best:
        booster = booster.model_from_string(booster.model_to_string(num_iteration=best))
    return Fitted(booster, best, float(scores["binary_logloss"]), float(scores["auc"]))


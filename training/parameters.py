"""Booster parameters that scale with the data: a 500-row table and a million-row province
both get a model that learns.

LightGBM's leaf-size floor (``min_child_samples``) is the parameter that decides whether a
small table can split at all: 200 suits a province of hundreds of thousands of rows and
forbids every split on a few hundred. The default is 0.1 % of the training rows within
[10, 200], and the search range spans a quarter of it up to a tenth of the rows (within
[3, 2000]).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna

MIN_LEAF_FLOOR, MIN_LEAF_CEILING = 10, 200


def default_min_leaf(rows: int) -> int:
    return int(np.clip(round(rows / 1000), MIN_LEAF_FLOOR, MIN_LEAF_CEILING))


def default_params(rows: int) -> dict[str, Any]:
    """The untuned starting point for ``rows`` training rows (always tuning's first trial)."""
    return {
        "learning_rate": 0.05,
        "max_depth": 6,
        "num_leaves": 31,
        "min_child_samples": default_min_leaf(rows),
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "lambda_l2": 1.0,
    }


CATEGORY_FLOOR, CATEGORY_CEILING = 10, 100


def categorical_params(rows: int) -> dict[str, Any]:
    """LightGBM leaves a category out of a categorical split when it has fewer than
    ``min_data_per_group`` rows (default 100): on a few hundred rows nearly every category
    would be. The floor scales like the leaf size, up to LightGBM's default."""
    return {"min_data_per_group": int(np.clip(round(rows / 1000), CATEGORY_FLOOR,
                                              CATEGORY_CEILING))}


def additive_params(rows: int) -> dict[str, Any]:
    """Stumps (depth 1): an additive model, a scorecard with learned bins. Tuning's second
    trial, so a small, nearly linear table always has that shape on the table."""
    return default_params(rows) | {"max_depth": 1, "num_leaves": 2, "learning_rate": 0.05}


def min_leaf_range(rows: int) -> tuple[int, int]:
    low = max(3, default_min_leaf(rows) // 4)
    high = int(np.clip(rows // 10, max(low + 1, 50), 2000))
    return low, max(high, low + 1)


def suggest(trial: optuna.Trial, rows: int) -> dict[str, Any]:
    """The search space. Depth 1 (stumps: an additive model, much like a scorecard with
    learned bins) to 6 lets small, nearly linear tables and large interacting ones both find
    their shape. Depth stays ≤ 6 (explanation tables grow as 2^depth per leaf) and
    `training.booster.LEAF_BUDGET` bounds trees × leaves, so any tuned model can be explained
    for a whole province within the monthly run's time."""
    depth = trial.suggest_int("max_depth", 1, 6)
    low, high = min_leaf_range(rows)
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
        "max_depth": depth,
        "num_leaves": trial.suggest_int("num_leaves", 2, min(2**depth, 63)),
        "min_child_samples": trial.suggest_int("min_child_samples", low, high, log=True),
        "feature_fraction": trial.suggest_float("feature_fraction", 0.4, 1.0),
        "bagging_fraction": trial.suggest_float("bagging_fraction", 0.5, 1.0),
        "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 30.0, log=True),
    }

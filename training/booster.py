"""The booster's fixed parameters (objective, monotone constraints, determinism) and the
explanation budget that bounds its size; `training.parameters` holds the tuned ones."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from models.feature_frame import FeatureSpec

MAX_ROUNDS = 3000
LEAF_BUDGET = 10_000
"""Trees × leaves per tree at most: the explanation of every enterprise costs about one table
row per leaf, so this keeps a month's explanations of 1,000,000 enterprises under a minute on
two cores (`bench/explain.py`: 300 trees × 29 leaves took 38 s, 300 × 48 took 61 s)."""
EARLY_STOPPING_ROUNDS = 100


def default_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def fixed_params(spec: FeatureSpec, seed: int, threads: int) -> dict[str, Any]:
    """Parameters that are not tuned: objective, constraints and everything determinism needs.

    Monotone constraints use LightGBM's ``intermediate`` method: on a model with small leaves
    the ``advanced`` one let the raw score fall (by 0.004) when a +1 feature rose
    (`tests/models/explain/test_exactness.py`), and a score must never move against its
    catalog direction."""
    return {
        "objective": "binary",
        "metric": ["binary_logloss", "auc"],
        "first_metric_only": True,
        "monotone_constraints": list(spec.monotone),
        "monotone_constraints_method": "intermediate",
        "bagging_freq": 1,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": threads,
        "verbosity": -1,
    }


def max_rounds(params: Mapping[str, Any]) -> int:
    """Boosting rounds allowed by the explanation budget for this number of leaves."""
    return min(MAX_ROUNDS, LEAF_BUDGET // int(params.get("num_leaves", 31)))

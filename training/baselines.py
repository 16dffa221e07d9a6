"""The plain baselines every model is compared with in the same run, on the same rows.

- **plain LightGBM**: LightGBM's own defaults (100 rounds, learning rate 0.1, 31 leaves, 20 rows
  per leaf), no tuning, no constraints, no early stopping, on the same features and final
  training rows. A pipeline that loses to it is a bug, not a result.
- **WOE scorecard**: `training.scorecard`, after dropping the columns optimal binning cannot
  bin (constant, all missing, a single category, almost all one value), each named.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd

from models.feature_frame import FeatureSpec
from training.cross_validation import dataset

PLAIN_ROUNDS = 100
MIN_MINORITY_ROWS = 10
"""A numeric column whose values other than the most frequent one cover fewer training rows
than this cannot be binned into two populated bins."""


def plain_params(seed: int, threads: int) -> dict[str, object]:
    return {"objective": "binary", "seed": seed, "deterministic": True,
            "force_row_wise": True, "num_threads": threads, "verbosity": -1}


def fit_plain(x: npt.NDArray, y: npt.NDArray, spec: FeatureSpec, rows: npt.NDArray,
              seed: int, threads: int) -> lgb.Booster:
    """LightGBM with default parameters on ``rows``."""
    return lgb.train(plain_params(seed, threads), dataset(x, y, spec, rows),
                     num_boost_round=PLAIN_ROUNDS)


@dataclass(frozen=True)
class Screened:
    kept: list[str]
    dropped: dict[str, str] = field(default_factory=dict)
    """Column → why optimal binning cannot use it."""


def screen_for_binning(frame: pd.DataFrame, names: list[str]) -> Screened:
    """The columns a WOE scorecard can bin on these (training) rows, and why the rest not."""
    kept, dropped = [], {}
    for name in names:
        column = frame[name]
        present = column.dropna()
        if present.empty:
            dropped[name] = "all missing"
        elif present.nunique() < 2:
            dropped[name] = ("a single category" if column.dtype == object
                             else "constant")
        elif len(present) - int(present.value_counts().iloc[0]) < MIN_MINORITY_ROWS:
            dropped[name] = (f"fewer than {MIN_MINORITY_ROWS} rows differ from its most "
                             "frequent value")
        else:
            kept.append(name)
    return Screened(kept, dropped)


def reason_of(error: Exception) -> str:
    """A one-line reason for a failed baseline."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def finite_share(raw: npt.NDArray) -> float:
    return float(np.isfinite(raw).mean()) if raw.size else 0.0

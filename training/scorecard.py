"""The classic baseline: WOE-binned logistic regression (optbinning), on the same split.

Every variable is optimally binned on the training rows (monotone where the catalog says the
direction), variables with an information value below 0.02 are dropped, and a logistic
regression is fitted on the weights of evidence. Its log-odds then go through the same
calibration and score map as the booster's, so the two are compared like for like.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.linear_model import LogisticRegression

from models.feature_frame import FeatureSpec

# optbinning imports cvxpy (through ropwr), which logs a warning for every optional solver
# built against another ortools than the one optbinning needs; the scorecard uses none of them.
logging.getLogger("__cvxpy__").addFilter(
    lambda record: "importing solver" not in record.getMessage())
from optbinning import BinningProcess  # noqa: E402

MIN_INFORMATION_VALUE = 0.02


class ScorecardError(ValueError):
    """The baseline cannot be fitted on these training rows; the message says why."""


@dataclass
class Scorecard:
    binning: BinningProcess
    regression: LogisticRegression
    spec: FeatureSpec

    def raw_logit(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        woe = self.binning.transform(frame[list(self.spec.names)], metric="woe")
        return self.regression.decision_function(woe)

    def summary(self) -> pd.DataFrame:
        """Information value and selection of every variable, with its coefficient."""
        table = self.binning.summary().set_index("name")
        selected = self.binning.get_support(names=True)
        coefficients = pd.Series(self.regression.coef_[0], index=selected)
        return table.assign(coefficient=coefficients).reset_index()


def _trend(direction: int) -> str:
    return {1: "ascending", -1: "descending"}.get(direction, "auto")


def fit_scorecard(
    frame: pd.DataFrame, outcome: npt.ArrayLike, spec: FeatureSpec, seed: int
) -> Scorecard:
    """Bin, select and fit on the training rows of ``frame``."""
    names = list(spec.names)
    binning_params = {
        name: {"monotonic_trend": _trend(direction)}
        for name, direction in zip(names, spec.monotone, strict=True)
        if name not in spec.levels
    }
    binning = BinningProcess(
        variable_names=names,
        categorical_variables=[n for n in names if n in spec.levels],
        selection_criteria={"iv": {"min": MIN_INFORMATION_VALUE}},
        binning_fit_params=binning_params,
    )
    y = np.asarray(outcome, dtype=np.int64)
    with warnings.catch_warnings():  # the error below says it in one line
        warnings.filterwarnings("ignore", message="No variables were selected")
        woe = binning.fit_transform(frame[names], y, metric="woe")
    if woe.shape[1] == 0:
        raise ScorecardError(
            f"WOE scorecard baseline: expected a feature with information value >= "
            f"{MIN_INFORMATION_VALUE} on the training rows, found none among "
            f"{len(names)}; train with --no-baseline to skip it")
    regression = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    regression.fit(woe, y)
    return Scorecard(binning, regression, spec)

"""Calibrators: monotone maps from the booster's log-odds to outcome probabilities.

Both are stored as plain numbers (JSON), never pickled, so a registered model can be read and
audited without executing code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from models.score_map import expit

FloatArray = npt.NDArray[np.float64]
PROBABILITY_FLOOR = 1e-6
"""Isotonic steps may reach 0 or 1 on finite data; no enterprise is certain either way."""


class Calibrator(Protocol):
    method: str

    def probability(self, raw_logit: npt.ArrayLike) -> FloatArray: ...

    def to_dict(self) -> dict[str, object]: ...


@dataclass(frozen=True)
class PlattCalibrator:
    """p = expit(slope · z + intercept): logistic regression on the booster's log-odds."""

    slope: float
    intercept: float
    method: str = "platt"

    @classmethod
    def fit(cls, raw_logit: npt.ArrayLike, outcome: npt.ArrayLike) -> PlattCalibrator:
        z = np.asarray(raw_logit, dtype=np.float64).reshape(-1, 1)
        model = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000)
        model.fit(z, np.asarray(outcome))
        return cls(float(model.coef_[0, 0]), float(model.intercept_[0]))

    def probability(self, raw_logit: npt.ArrayLike) -> FloatArray:
        return expit(self.slope * np.asarray(raw_logit, dtype=np.float64) + self.intercept)

    def to_dict(self) -> dict[str, object]:
        return {"method": self.method, "slope": self.slope, "intercept": self.intercept}


@dataclass(frozen=True)
class IsotonicCalibrator:
    """A non-decreasing piecewise-linear map through the fitted isotonic steps."""

    knots: tuple[float, ...]
    values: tuple[float, ...]
    method: str = "isotonic"

    @classmethod
    def fit(cls, raw_logit: npt.ArrayLike, outcome: npt.ArrayLike) -> IsotonicCalibrator:
        model = IsotonicRegression(y_min=PROBABILITY_FLOOR, y_max=1 - PROBABILITY_FLOOR,
                                   out_of_bounds="clip", increasing=True)
        model.fit(np.asarray(raw_logit, dtype=np.float64), np.asarray(outcome, dtype=np.float64))
        return cls(tuple(model.X_thresholds_.tolist()), tuple(model.y_thresholds_.tolist()))

    def probability(self, raw_logit: npt.ArrayLike) -> FloatArray:
        return np.interp(np.asarray(raw_logit, dtype=np.float64), self.knots, self.values)

    def to_dict(self) -> dict[str, object]:
        return {"method": self.method, "knots": list(self.knots), "values": list(self.values)}


CALIBRATORS: dict[str, type[PlattCalibrator] | type[IsotonicCalibrator]] = {
    "platt": PlattCalibrator,
    "isotonic": IsotonicCalibrator,
}


def calibrator_from_dict(data: dict[str, object]) -> Calibrator:
    """Rebuild a calibrator saved with ``to_dict``."""
    method = data.get("method")
    if method == "platt":
        return PlattCalibrator(float(data["slope"]), float(data["intercept"]))  # type: ignore[arg-type]
    if method == "isotonic":
        return IsotonicCalibrator(tuple(data["knots"]), tuple(data["values"]))  # type: ignore[arg-type]
    raise ValueError(f"calibrator: expected method platt or isotonic, found {method!r}")

"""Calibrators: strictly increasing maps from the booster's log-odds to outcome probabilities.

A score exists to rank, so every calibrator training chooses from keeps distinct log-odds
distinct probabilities (and hence distinct scores):

- ``platt``: p = expit(a·z + b), a > 0;
- ``beta`` (Kull et al. 2017): logit p = a·ln s − b·ln(1 − s) + c with s = expit(z) and
  a, b ≥ 0 (not both 0), which bends both tails independently;
- ``isotonic_interpolated``: isotonic regression (PAV), then a piecewise-linear map in
  log-odds through the centre of each fitted block, extended linearly beyond the outer
  blocks, so there are no flat steps.

``isotonic`` (flat steps between the fitted thresholds, which ties every row of a block) is
kept only to load models registered before; training no longer offers it. All are stored as
plain numbers (JSON), never pickled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from models.score_map import expit, logit

FloatArray = npt.NDArray[np.float64]
PROBABILITY_FLOOR = 1e-6
"""No enterprise is certain either way: fitted probabilities stay within (1e-6, 1 − 1e-6)."""
MIN_SLOPE = 1e-6
"""Smallest log-odds slope of an interpolated isotonic map, so it never goes flat."""


class CalibrationError(ValueError):
    """A calibrator that would not be strictly increasing on the data it was fitted to."""


class Calibrator(Protocol):
    method: str

    def probability(self, raw_logit: npt.ArrayLike) -> FloatArray: ...

    def to_dict(self) -> dict[str, object]: ...


def _unregularised_logistic(features: FloatArray, outcome: npt.ArrayLike) -> LogisticRegression:
    model = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000)
    model.fit(features, np.asarray(outcome))
    return model


@dataclass(frozen=True)
class PlattCalibrator:
    """p = expit(slope · z + intercept): logistic regression on the booster's log-odds."""

    slope: float
    intercept: float
    method: str = "platt"

    @classmethod
    def fit(cls, raw_logit: npt.ArrayLike, outcome: npt.ArrayLike) -> PlattCalibrator:
        z = np.asarray(raw_logit, dtype=np.float64).reshape(-1, 1)
        model = _unregularised_logistic(z, outcome)
        slope = float(model.coef_[0, 0])
        if not slope > 0:
            raise CalibrationError(f"platt: the fitted slope is {slope:.3g}, not positive: "
                                   "the scores do not rank the outcome")
        return cls(slope, float(model.intercept_[0]))

    def probability(self, raw_logit: npt.ArrayLike) -> FloatArray:
        return expit(self.slope * np.asarray(raw_logit, dtype=np.float64) + self.intercept)

    def to_dict(self) -> dict[str, object]:
        return {"method": self.method, "slope": self.slope, "intercept": self.intercept}


def _beta_features(z: FloatArray) -> FloatArray:
    """(ln s, −ln(1 − s)) for s = expit(z), computed without overflow."""
    return np.column_stack([-np.logaddexp(0.0, -z), np.logaddexp(0.0, z)])


@dataclass(frozen=True)
class BetaCalibrator:
    """logit p = a·ln s − b·ln(1 − s) + c, s = expit(z); a, b ≥ 0, not both 0."""

    a: float
    b: float
    c: float
    method: str = "beta"

    @classmethod
    def fit(cls, raw_logit: npt.ArrayLike, outcome: npt.ArrayLike) -> BetaCalibrator:
        z = np.asarray(raw_logit, dtype=np.float64)
        features = _beta_features(z)
        model = _unregularised_logistic(features, outcome)
        a, b = (float(v) for v in model.coef_[0])
        c = float(model.intercept_[0])
        if a < 0 or b < 0:  # refit on the one feature that keeps the map increasing
            keep = 1 if a < 0 else 0
            model = _unregularised_logistic(features[:, [keep]], outcome)
            value = float(model.coef_[0, 0])
            a, b = (0.0, value) if keep == 1 else (value, 0.0)
            c = float(model.intercept_[0])
        if not (a > 0 or b > 0) or min(a, b) < 0:
            raise CalibrationError(f"beta: fitted a = {a:.3g}, b = {b:.3g}; need a, b ≥ 0, "
                                   "not both 0: the scores do not rank the outcome")
        return cls(a, b, c)

    def probability(self, raw_logit: npt.ArrayLike) -> FloatArray:
        features = _beta_features(np.asarray(raw_logit, dtype=np.float64))
        return expit(self.a * features[:, 0] + self.b * features[:, 1] + self.c)

    def to_dict(self) -> dict[str, object]:
        return {"method": self.method, "a": self.a, "b": self.b, "c": self.c}


@dataclass(frozen=True)
class InterpolatedIsotonicCalibrator:
    """Isotonic regression made strictly increasing: linear in log-odds between block centres
    (``knots`` → ``logits``), and beyond the outer ones along the average slope of the whole
    fitted range (at least `MIN_SLOPE`), so the tails neither flatten nor explode."""

    knots: tuple[float, ...]
    logits: tuple[float, ...]
    method: str = "isotonic_interpolated"

    @classmethod
    def fit(cls, raw_logit: npt.ArrayLike, outcome: npt.ArrayLike
            ) -> InterpolatedIsotonicCalibrator:
        z = np.asarray(raw_logit, dtype=np.float64)
        fitted = IsotonicRegression(y_min=PROBABILITY_FLOOR, y_max=1 - PROBABILITY_FLOOR,
                                    increasing=True).fit_transform(
            z, np.asarray(outcome, dtype=np.float64))
        blocks, index = np.unique(fitted, return_inverse=True)  # PAV blocks, increasing
        centres = np.bincount(index, weights=z) / np.bincount(index)
        order = np.argsort(centres, kind="stable")
        knots, logits = centres[order], logit(blocks[order])
        if knots.size == 1:  # one block: the scores carry no ranking information
            knots = np.array([knots[0] - 1.0, knots[0] + 1.0])
            logits = np.array([logits[0] - MIN_SLOPE, logits[0] + MIN_SLOPE])
        return cls(tuple(knots.tolist()), tuple(logits.tolist()))

    def probability(self, raw_logit: npt.ArrayLike) -> FloatArray:
        z = np.asarray(raw_logit, dtype=np.float64)
        knots, logits = np.asarray(self.knots), np.asarray(self.logits)
        slope = max((logits[-1] - logits[0]) / (knots[-1] - knots[0]), MIN_SLOPE)
        inside = np.interp(z, knots, logits)
        below = logits[0] + slope * (z - knots[0])
        above = logits[-1] + slope * (z - knots[-1])
        return expit(np.where(z < knots[0], below, np.where(z > knots[-1], above, inside)))

    def to_dict(self) -> dict[str, object]:
        return {"method": self.method, "knots": list(self.knots), "logits": list(self.logits)}


@dataclass(frozen=True)
class IsotonicCalibrator:
    """Flat isotonic steps between fitted thresholds (models registered before 2026-12)."""

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


CALIBRATORS: dict[str, type[PlattCalibrator] | type[BetaCalibrator]
                  | type[InterpolatedIsotonicCalibrator]] = {
    "platt": PlattCalibrator,
    "beta": BetaCalibrator,
    "isotonic_interpolated": InterpolatedIsotonicCalibrator,
}
"""The strictly increasing calibrators that training compares."""


def calibrator_from_dict(data: dict[str, object]) -> Calibrator:
    """Rebuild a calibrator saved with ``to_dict``."""
    method = data.get("method")
    if method == "platt":
        return PlattCalibrator(float(data["slope"]), float(data["intercept"]))  # type: ignore[arg-type]
    if method == "beta":
        return BetaCalibrator(float(data["a"]), float(data["b"]), float(data["c"]))  # type: ignore[arg-type]
    if method == "isotonic_interpolated":
        return InterpolatedIsotonicCalibrator(tuple(data["knots"]), tuple(data["logits"]))  # type: ignore[arg-type]
    if method == "isotonic":
        return IsotonicCalibrator(tuple(data["knots"]), tuple(data["values"]))  # type: ignore[arg-type]
    raise ValueError(f"calibrator: expected method platt, beta, isotonic_interpolated or "
                     f"isotonic, found {method!r}")

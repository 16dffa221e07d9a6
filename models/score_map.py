"""The 0–1000 risk score: a fixed, monotone map from the probability of an adverse outcome.

Policy sets three outcome probabilities ``p_b < p_c < p_d``; an enterprise whose probability is
exactly ``p_b`` scores 200 (the A/B cut), ``p_c`` scores 500 and ``p_d`` scores 750. Between
the anchors the score is linear in log-odds, so equal steps of risk are equal steps of score.
Outside them it approaches the bounds exponentially in log-odds, with the slopes matched where
the tails meet the linear part (no kink at 200 or 750):

    z < z_b:        s = 200 · exp(k_lo · (z − z_b)),      k_lo = 1.5 / (z_c − z_b)
    z_b ≤ z ≤ z_d:  piecewise linear through (z_b, 200), (z_c, 500), (z_d, 750)
    z > z_d:        s = 1000 − 250 · exp(−k_hi · (z − z_d)), k_hi = 1 / (z_d − z_c)

with ``z = logit(p)``. Hence p = 0 ↦ 0 and p = 1 ↦ 1000 exactly, and the map is strictly
increasing on (0, 1). It is a pure function of its thresholds, which are stored with the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

ANCHOR_SCORES = (200.0, 500.0, 750.0)
"""The scores that the three policy probabilities map to: the scale's geometry. They coincide
with Henan's cut points (豫市监办〔2022〕100号), but classes come from a jurisdiction profile's own
cut points (`models.policy.profiles`), never from here."""
MAX_SCORE = 1000.0

FloatArray = npt.NDArray[np.float64]


def logit(p: npt.ArrayLike) -> FloatArray:
    """log(p / (1 − p)) with ±inf at 0 and 1, without warnings."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


def expit(z: npt.ArrayLike) -> FloatArray:
    """The logistic function, exact at ±inf."""
    z = np.asarray(z, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -z))


@dataclass(frozen=True)
class ScoreMap:
    """Map outcome probabilities to 0–1000 scores with cut points at policy probabilities."""

    thresholds: tuple[float, float, float]
    """Outcome probabilities that score 200, 500 and 750."""

    def __post_init__(self) -> None:
        t = tuple(float(x) for x in self.thresholds)
        if len(t) != 3 or not 0.0 < t[0] < t[1] < t[2] < 1.0:
            raise ValueError(
                "score map thresholds: expected three probabilities 0 < p_B < p_C < p_D < 1, "
                f"found {self.thresholds!r}"
            )
        object.__setattr__(self, "thresholds", t)

    @classmethod
    def from_class_shares(
        cls, probabilities: npt.ArrayLike, shares: Sequence[float]
    ) -> ScoreMap:
        """Thresholds that give a reference population the class shares A, B, C, D."""
        shares = validate_class_shares(shares)
        p = np.sort(np.asarray(probabilities, dtype=np.float64))
        if p.size < 4:
            raise ValueError(f"class shares: the reference population has {p.size} rows")
        quantiles = np.cumsum(shares)[:3]
        thresholds = np.quantile(p, quantiles, method="higher")
        if not (0 < thresholds[0] < thresholds[1] < thresholds[2] < 1):
            raise ValueError(
                f"class shares {shares}: the reference probabilities are too coarse to give "
                f"distinct thresholds (found {thresholds.tolist()})"
            )
        return cls(tuple(thresholds.tolist()))

    @property
    def _geometry(self) -> tuple[FloatArray, FloatArray, float, float]:
        """Anchor log-odds, anchor scores, and the lower and upper tail rates."""
        (zb, zc, zd), (sb, sc, sd) = logit(self.thresholds), np.asarray(ANCHOR_SCORES)
        k_lo = (sc - sb) / sb / (zc - zb)
        k_hi = (sd - sc) / (MAX_SCORE - sd) / (zd - zc)
        return np.array([zb, zc, zd]), np.array([sb, sc, sd]), k_lo, k_hi

    def score_from_logit(self, z: npt.ArrayLike) -> FloatArray:
        """Scores for log-odds ``z`` (±inf allowed)."""
        z = np.asarray(z, dtype=np.float64)
        (zb, zc, zd), (sb, sc, sd), k_lo, k_hi = self._geometry
        middle = np.interp(z, [zb, zc, zd], [sb, sc, sd])
        with np.errstate(over="ignore", invalid="ignore"):
            low = sb * np.exp(k_lo * np.minimum(z - zb, 0.0))
            high = MAX_SCORE - (MAX_SCORE - sd) * np.exp(-k_hi * np.maximum(z - zd, 0.0))
        return np.where(z < zb, low, np.where(z > zd, high, middle))

    def score(self, probability: npt.ArrayLike) -> FloatArray:
        """Scores in [0, 1000] for probabilities in [0, 1]."""
        p = np.asarray(probability, dtype=np.float64)
        if np.any((p < 0) | (p > 1) | np.isnan(p)):
            raise ValueError("score map: probabilities must lie in [0, 1]")
        return self.score_from_logit(logit(p))

    def probability(self, score: npt.ArrayLike) -> FloatArray:
        """The inverse map: the outcome probability a score stands for."""
        s = np.asarray(score, dtype=np.float64)
        (zb, zc, zd), (sb, sc, sd), k_lo, k_hi = self._geometry
        with np.errstate(divide="ignore", invalid="ignore"):
            low = zb + np.log(s / sb) / k_lo
            high = zd - np.log((MAX_SCORE - s) / (MAX_SCORE - sd)) / k_hi
        middle = np.interp(s, [sb, sc, sd], [zb, zc, zd])
        return expit(np.where(s < sb, low, np.where(s > sd, high, middle)))

    def to_dict(self) -> dict[str, object]:
        return {"thresholds": list(self.thresholds), "anchor_scores": list(ANCHOR_SCORES)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ScoreMap:
        return cls(tuple(data["thresholds"]))  # type: ignore[arg-type]


def validate_class_shares(shares: Sequence[float]) -> list[float]:
    """Four positive shares A, B, C, D summing to 1, as floats; anything else is an error."""
    values = [float(s) for s in shares]
    if len(values) != 4 or min(values) <= 0 or abs(sum(values) - 1.0) > 1e-6:
        raise ValueError(
            f"class shares: expected four positive shares A, B, C, D summing to 1, "
            f"found {values}"
        )
    return values


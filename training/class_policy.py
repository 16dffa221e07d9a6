"""Where the class cut points fall: policy outcome probabilities, or target class shares."""

from __future__ import annotations

from dataclasses import dataclass

import numpy.typing as npt

from models.score_map import ScoreMap, validate_class_shares

DEFAULT_PROBABILITIES = (0.05, 0.20, 0.50)
"""Default policy: an enterprise is B from a 5 % chance of an adverse outcome within the
horizon, C from 20 % and D from 50 %."""


@dataclass(frozen=True)
class ClassPolicy:
    """Either three outcome probabilities (scores 200, 500, 750) or four class shares A–D
    to be met on a reference population (the latest test period)."""

    probabilities: tuple[float, float, float] | None = DEFAULT_PROBABILITIES
    shares: tuple[float, float, float, float] | None = None

    @classmethod
    def parse(cls, probabilities: str | None, shares: str | None) -> ClassPolicy:
        if probabilities and shares:
            raise ValueError("give either class probabilities or class shares, not both")
        if shares:
            values = tuple(validate_class_shares(_numbers(shares, 4, "class shares")))
            return cls(None, values)  # type: ignore[arg-type]
        values = _numbers(probabilities, 3, "class probabilities") if probabilities else (
            DEFAULT_PROBABILITIES)
        ScoreMap(values)  # type: ignore[arg-type]  # validates order and range
        return cls(values, None)  # type: ignore[arg-type]

    def score_map(self, reference_probabilities: npt.ArrayLike) -> ScoreMap:
        if self.shares is not None:
            return ScoreMap.from_class_shares(reference_probabilities, self.shares)
        assert self.probabilities is not None
        return ScoreMap(self.probabilities)

    def describe(self) -> str:
        if self.shares is not None:
            return "shares " + "/".join(f"{s:g}" for s in self.shares)
        assert self.probabilities is not None
        return "probabilities " + "/".join(f"{p:g}" for p in self.probabilities)


def _numbers(text: str, count: int, what: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"{what}: expected {count} comma-separated numbers, found {text!r}"
                         ) from None
    if len(values) != count:
        raise ValueError(f"{what}: expected {count} comma-separated numbers, found {text!r}")
    return values

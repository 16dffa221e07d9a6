"""The 0–1000 map: exact bounds, strict monotonicity, cut points at the policy probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from models.levels import LEVELS
from models.policy.profiles import profile
from models.score_map import ANCHOR_SCORES, ScoreMap

POLICY = ScoreMap((0.05, 0.20, 0.50))


def risk_levels(scores: object) -> np.ndarray:
    return np.asarray(LEVELS)[profile().levels_of(scores)]


def test_exact_bounds() -> None:
    assert POLICY.score([0.0, 1.0]).tolist() == [0.0, 1000.0]


def test_cut_points_at_policy_probabilities() -> None:
    assert POLICY.score([0.05, 0.20, 0.50]) == pytest.approx(ANCHOR_SCORES, abs=1e-9)


def test_strictly_increasing_and_inside_bounds() -> None:
    p = np.concatenate([[0.0], np.logspace(-12, -1e-12, 4000, base=10), [1.0]])
    p = np.unique(np.concatenate([p, 1 - p]))
    s = POLICY.score(p)
    interior = s[1:-1]
    assert np.all(np.diff(s) >= 0)
    assert np.all(np.diff(interior[(interior > 1e-9) & (interior < 1000 - 1e-9)]) > 0)
    assert s.min() == 0.0 and s.max() == 1000.0


def test_tails_meet_the_linear_part_without_a_kink() -> None:
    outer = np.array(POLICY.thresholds)[[0, 2]]
    h = 1e-6
    for z in np.log(outer / (1 - outer)):
        left = (POLICY.score_from_logit(z) - POLICY.score_from_logit(z - h)) / h
        right = (POLICY.score_from_logit(z + h) - POLICY.score_from_logit(z)) / h
        assert left == pytest.approx(right, rel=1e-3)


def test_inverse_round_trip() -> None:
    p = np.array([1e-6, 0.01, 0.05, 0.1, 0.2, 0.35, 0.5, 0.8, 0.999])
    assert POLICY.probability(POLICY.score(p)) == pytest.approx(p, rel=1e-9)


def test_classes_follow_cut_points() -> None:
    scores = [0, 199.999, 200, 499.99, 500, 749.9, 750, 1000]
    assert risk_levels(scores).tolist() == ["A", "A", "B", "B", "C", "C", "D", "D"]


def test_class_shares_on_a_reference_population() -> None:
    rng = np.random.default_rng(3)
    reference = rng.beta(1, 12, size=20_000)
    policy = ScoreMap.from_class_shares(reference, (0.6, 0.25, 0.1, 0.05))
    classes = risk_levels(policy.score(reference))
    shares = [np.mean(classes == c) for c in "ABCD"]
    assert shares == pytest.approx([0.6, 0.25, 0.1, 0.05], abs=0.002)


@pytest.mark.parametrize("thresholds", [(0.2, 0.1, 0.5), (0.0, 0.1, 0.5), (0.1, 0.2, 1.0)])
def test_invalid_thresholds_are_refused(thresholds: tuple[float, float, float]) -> None:
    with pytest.raises(ValueError, match="0 < p_B < p_C < p_D < 1"):
        ScoreMap(thresholds)


def test_probabilities_outside_the_unit_interval_are_refused() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        POLICY.score([0.5, 1.2])


def test_round_trip_through_json_form() -> None:
    assert ScoreMap.from_dict(POLICY.to_dict()) == POLICY

"""Calibrators: strictly increasing, distinct inputs stay distinct, recover a known link,
survive their JSON form; old flat isotonic models still load."""

from __future__ import annotations

import numpy as np
import pytest

from models.calibration import (
    CALIBRATORS,
    BetaCalibrator,
    CalibrationError,
    IsotonicCalibrator,
    PlattCalibrator,
    calibrator_from_dict,
)
from models.score_map import ScoreMap, expit


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    z = rng.normal(-2, 1.5, 50_000)
    y = (rng.random(z.size) < expit(0.7 * z - 0.4)).astype(int)
    return z, y


def test_platt_recovers_the_link(sample: tuple[np.ndarray, np.ndarray]) -> None:
    calibrator = PlattCalibrator.fit(*sample)
    assert calibrator.slope == pytest.approx(0.7, abs=0.05)
    assert calibrator.intercept == pytest.approx(-0.4, abs=0.08)


def test_beta_recovers_a_logistic_link(sample: tuple[np.ndarray, np.ndarray]) -> None:
    z, y = sample
    calibrator = BetaCalibrator.fit(z, y)
    grid = np.linspace(-5, 1, 50)
    assert calibrator.probability(grid) == pytest.approx(expit(0.7 * grid - 0.4), abs=0.02)


@pytest.mark.parametrize("kind", list(CALIBRATORS.values()))
def test_strictly_increasing_and_round_trip(kind: type, sample: tuple[np.ndarray, np.ndarray]
                                            ) -> None:
    calibrator = kind.fit(*sample)
    grid = np.linspace(-12, 8, 4001)
    p = calibrator.probability(grid)
    assert np.all(np.diff(p) > 0) and p.min() > 0 and p.max() < 1
    assert calibrator_from_dict(calibrator.to_dict()).probability(grid) == pytest.approx(p)


@pytest.mark.parametrize("kind", list(CALIBRATORS.values()))
def test_distinct_log_odds_stay_distinct_scores(kind: type,
                                                sample: tuple[np.ndarray, np.ndarray]) -> None:
    z, y = sample
    calibrator = kind.fit(z[:5000], y[:5000])
    held = z[5000:]
    scores = ScoreMap((0.05, 0.2, 0.5)).score(calibrator.probability(held))
    assert len(np.unique(scores)) == len(np.unique(held))


def test_flat_isotonic_ties_what_the_interpolated_one_keeps_apart(
        sample: tuple[np.ndarray, np.ndarray]) -> None:
    z, y = sample
    flat = IsotonicCalibrator.fit(z[:5000], y[:5000]).probability(z[5000:])
    interpolated = CALIBRATORS["isotonic_interpolated"].fit(z[:5000], y[:5000])
    assert len(np.unique(flat)) < 0.5 * len(np.unique(z[5000:]))
    assert len(np.unique(interpolated.probability(z[5000:]))) == len(np.unique(z[5000:]))


def test_a_reversed_ranking_is_refused() -> None:
    rng = np.random.default_rng(2)
    z = rng.normal(size=5000)
    y = (rng.random(z.size) < expit(-1.5 * z)).astype(int)
    for kind in (PlattCalibrator, BetaCalibrator):
        with pytest.raises(CalibrationError, match="do not rank"):
            kind.fit(z, y)


def test_old_flat_isotonic_models_load() -> None:
    stored = {"method": "isotonic", "knots": [-3.0, 0.0, 2.0], "values": [0.01, 0.1, 0.6]}
    assert calibrator_from_dict(stored).probability([0.0]) == pytest.approx([0.1])


def test_unknown_method_is_named() -> None:
    with pytest.raises(ValueError, match="found 'sigmoid'"):
        calibrator_from_dict({"method": "sigmoid"})

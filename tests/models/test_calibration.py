"""Calibrators: monotone, recover a known link, survive their JSON form."""

from __future__ import annotations

import numpy as np
import pytest

from models.calibration import IsotonicCalibrator, PlattCalibrator, calibrator_from_dict
from models.score_map import expit


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


@pytest.mark.parametrize("kind", [PlattCalibrator, IsotonicCalibrator])
def test_monotone_and_round_trip(kind: type, sample: tuple[np.ndarray, np.ndarray]) -> None:
    calibrator = kind.fit(*sample)
    grid = np.linspace(-10, 6, 500)
    p = calibrator.probability(grid)
    assert np.all(np.diff(p) >= 0) and p.min() > 0 and p.max() < 1
    assert calibrator_from_dict(calibrator.to_dict()).probability(grid) == pytest.approx(p)


def test_unknown_method_is_named() -> None:
    with pytest.raises(ValueError, match="found 'beta'"):
        calibrator_from_dict({"method": "beta"})

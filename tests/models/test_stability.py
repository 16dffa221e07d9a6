"""Population stability index."""

from __future__ import annotations

import numpy as np
import pytest

from models.stability import population_stability_index


def test_psi_zero_for_the_same_distribution_and_positive_for_a_shift() -> None:
    rng = np.random.default_rng(2)
    a = rng.normal(size=50_000)
    assert population_stability_index(a, a) == pytest.approx(0.0)
    assert population_stability_index(a, a + 0.5) > 0.1

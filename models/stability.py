"""Population stability: how far a distribution of scores has moved from a reference one."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def population_stability_index(
    expected: npt.ArrayLike, actual: npt.ArrayLike, bins: int = 10
) -> float:
    """PSI of ``actual`` against ``expected`` over the deciles of ``expected``."""
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    edges = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)[1:-1]))
    e_share = np.bincount(np.searchsorted(edges, e, side="right"), minlength=edges.size + 1)
    a_share = np.bincount(np.searchsorted(edges, a, side="right"), minlength=edges.size + 1)
    e_share = np.clip(e_share / e.size, 1e-6, None)
    a_share = np.clip(a_share / a.size, 1e-6, None)
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))

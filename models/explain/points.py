"""Feature contributions in score points that add up exactly to the model score.

TreeSHAP gives log-odds contributions φ_i with z = z₀ + Σφ_i (z₀ the expected log-odds). The
score is a monotone map of the log-odds, g(z) = score_map(calibrator(z)). Each feature is
credited with its share of the score change along the straight path from z₀ to z in
contribution space (Aumann–Shapley / integrated gradients): since g depends on the sum only,
the path integral ∫₀¹ g′(z₀ + t·Σφ) dt · φ_i equals φ_i · (g(z) − g(z₀)) / Σφ exactly. So

    base points g(z₀) + Σ_i points_i = g(z) = the model score,

each feature keeps the sign of its log-odds contribution (g is increasing), and features that
moved the log-odds equally get equal points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from models.explain.treeshap import CompiledForest, compile_forest, shap_values
from models.risk_model import RiskModel, prediction_threads

FloatArray = npt.NDArray[np.float64]
NEGLIGIBLE_LOG_ODDS = 1e-12


@dataclass(frozen=True)
class Attribution:
    """Per row and feature (model order): log-odds contributions and score points."""

    names: tuple[str, ...]
    expected_log_odds: float
    base_points: float
    log_odds: FloatArray
    points: FloatArray
    model_score: FloatArray


class Explainer:
    """A model with its compiled TreeSHAP tables, ready to attribute any number of rows."""

    def __init__(self, model: RiskModel, threads: int | None = None) -> None:
        self.model = model
        self.threads = threads
        self.forest: CompiledForest = compile_forest(model.booster)
        self._base_points = float(model.calibrated([float(self.forest.expected_value)])[1][0])

    def attribute(self, x: FloatArray, raw: FloatArray | None = None) -> Attribution:
        """Attribution for the model's feature matrix ``x`` (`FeatureSpec.matrix`); ``raw``:
        its log-odds when the caller has predicted them already."""
        threads = self.threads or prediction_threads(len(x)) or None
        contributions = shap_values(self.forest, x, threads)
        phi = contributions[:, :-1]
        z0 = float(self.forest.expected_value)
        if raw is None:
            raw = self.model.raw_of(x, threads or 0)
        score = self.model.calibrated(raw)[1]
        base = self._base_points
        total = phi.sum(axis=1)
        moved = np.abs(total) > NEGLIGIBLE_LOG_ODDS
        ratio = np.divide(score - base, total, out=np.zeros_like(total), where=moved)
        return Attribution(self.model.spec.names, z0, base, phi, phi * ratio[:, None], score)

"""Evaluate one scoring chain on the parts of the protocol: final training rows, calibration
rows, test rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.calibration import Calibrator
from models.levels import LEVELS
from models.policy.profiles import profile
from models.score_map import ScoreMap
from models.stability import population_stability_index
from training.metrics import class_table, evaluate


@dataclass(frozen=True)
class Part:
    """One part's raw log-odds and outcomes (out of fold where the protocol says so)."""

    raw: npt.NDArray[np.float64]
    outcome: npt.NDArray[np.int64]


@dataclass
class Evaluation:
    metrics: dict[str, float]
    test_classes: pd.DataFrame
    test_probability: npt.NDArray[np.float64]
    test_score: npt.NDArray[np.float64]
    test_outcome: npt.NDArray[np.int64]


def distinct_shares(raw: npt.NDArray, probability: npt.NDArray, score: npt.NDArray
                    ) -> dict[str, float]:
    """How much of the booster's ranking survives calibration and the score: distinct
    probabilities and distinct published (two-decimal) scores per distinct raw output."""
    distinct_raw = max(len(np.unique(raw)), 1)
    return {"distinct_raw": float(distinct_raw),
            "distinct_probability_share": len(np.unique(probability)) / distinct_raw,
            "distinct_score_share": len(np.unique(np.round(score, 2))) / distinct_raw}


def evaluate_chain(parts: Mapping[str, Part], calibrator: Calibrator, score_map: ScoreMap
                   ) -> Evaluation:
    """Metrics prefixed by part name (``train_``, ``valid_``, ``test_``), the distinct-score
    shares of the test rows and the train→test score PSI."""
    metrics: dict[str, float] = {}
    scores = {}
    levels_of = profile().levels_of
    for name, part in parts.items():
        probability = calibrator.probability(part.raw)
        score = score_map.score(probability)
        scores[name] = (probability, score)
        levels = np.asarray(LEVELS)[levels_of(score)]
        for key, value in evaluate(part.outcome, probability, levels).items():
            metrics[f"{name}_{key}"] = value
    test = parts["test"]
    probability, score = scores["test"]
    metrics |= {f"test_{k}": v for k, v in distinct_shares(test.raw, probability, score).items()}
    if "train" in parts:
        metrics["psi_train_test"] = population_stability_index(scores["train"][1], score)
    levels = np.asarray(LEVELS)[levels_of(score)]
    return Evaluation(metrics, class_table(test.outcome, levels), probability, score,
                      test.outcome)

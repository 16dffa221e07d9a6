"""Evaluate one scoring chain on the train, validation and test rows of a split."""

from __future__ import annotations

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
from training.split import Split


@dataclass
class Evaluation:
    metrics: dict[str, float]
    test_classes: pd.DataFrame
    test_probability: npt.NDArray[np.float64]
    test_outcome: npt.NDArray[np.int64]


def evaluate_chain(
    raw_logit: npt.NDArray, outcome: npt.NDArray, split: Split, calibrator: Calibrator,
    score_map: ScoreMap,
) -> Evaluation:
    """Metrics prefixed ``train_``, ``valid_`` and ``test_``, plus the train→test score PSI."""
    probability = calibrator.probability(raw_logit)
    score = score_map.score(probability)
    levels = np.asarray(LEVELS)[profile().levels_of(score)]
    metrics: dict[str, float] = {}
    for part, rows in (("train", split.train), ("valid", split.valid), ("test", split.test)):
        for name, value in evaluate(outcome[rows], probability[rows], levels[rows]).items():
            metrics[f"{part}_{name}"] = value
    metrics["psi_train_test"] = population_stability_index(score[split.train],
                                                            score[split.test])
    return Evaluation(metrics, class_table(outcome[split.test], levels[split.test]),
                      probability[split.test], outcome[split.test])

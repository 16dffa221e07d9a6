"""The scoring chain: booster log-odds → calibrated probability → 0–1000 score → class.

A `RiskModel` is saved as a directory of plain files: the booster in LightGBM's own text format
and one JSON document with the feature spec, calibrator, score map and metadata.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from models.calibration import Calibrator, calibrator_from_dict
from models.feature_frame import FeatureSpec
from models.levels import LEVELS
from models.policy.profiles import profile
from models.policy.rules import NO_RULES, RuleSet, load_rules
from models.score_map import ScoreMap

BOOSTER_FILE = "booster.txt"
CHAIN_FILE = "scoring_chain.json"
RULES_FILE = "rules.yaml"


@dataclass
class RiskModel:
    booster: lgb.Booster
    spec: FeatureSpec
    calibrator: Calibrator
    score_map: ScoreMap
    metadata: dict[str, Any] = field(default_factory=dict)
    rules: RuleSet = NO_RULES
    """The qualitative rules validated with this model, carried verbatim in its files."""

    def raw_logit(self, table: pa.Table | pd.DataFrame, source: str = "table") -> npt.NDArray:
        """The booster's log-odds for every row."""
        return self.booster.predict(self.spec.matrix(table, source), raw_score=True)

    def calibrated(self, raw_logit: npt.ArrayLike) -> tuple[npt.NDArray, npt.NDArray]:
        """Probability and 0–1000 score for booster log-odds: the rest of the chain."""
        probability = self.calibrator.probability(np.asarray(raw_logit, dtype=np.float64))
        return probability, self.score_map.score(probability)

    def predict(self, table: pa.Table | pd.DataFrame, source: str = "table") -> pa.Table:
        """probability, model_score and model_level (under the default profile's cut points)
        for every row, in input order; `models.classification.classify` adds the rules."""
        probability, score = self.calibrated(self.raw_logit(table, source))
        return pa.table({
            "probability": pa.array(probability, pa.float64()),
            "model_score": pa.array(score, pa.float64()),
            "model_level": pa.array(np.asarray(LEVELS)[profile().levels_of(score)], pa.string()),
        })

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(directory / BOOSTER_FILE))
        chain = {
            "features": self.spec.to_dict(),
            "calibrator": self.calibrator.to_dict(),
            "score_map": self.score_map.to_dict(),
            "metadata": self.metadata,
            "rules_version": self.rules.version_id,
        }
        if self.rules.source:
            (directory / RULES_FILE).write_text(self.rules.source, encoding="utf-8")
        (directory / CHAIN_FILE).write_text(json.dumps(chain, ensure_ascii=False, indent=1),
                                            encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: Path) -> RiskModel:
        chain = json.loads((directory / CHAIN_FILE).read_text(encoding="utf-8"))
        rules_file = directory / RULES_FILE
        rules = load_rules(rules_file) if rules_file.exists() else NO_RULES
        return cls(
            booster=lgb.Booster(model_file=str(directory / BOOSTER_FILE)),
            spec=FeatureSpec.from_dict(chain["features"]),
            calibrator=calibrator_from_dict(chain["calibrator"]),
            score_map=ScoreMap.from_dict(chain["score_map"]),
            metadata=chain.get("metadata", {}),
            rules=rules,
        )



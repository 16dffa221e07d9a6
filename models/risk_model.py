"""The scoring chain: booster log-odds → calibrated probability → 0–1000 score → class.

A `RiskModel` is saved as a directory of plain files: the booster in LightGBM's own text format
and one JSON document with the feature spec, calibrator, score map and metadata, the rules
file when it has rules, and a manifest of their sha256 digests, checked on every load so a
model whose files changed after it was saved is refused.
"""

from __future__ import annotations

import hashlib
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
MANIFEST_FILE = "manifest.json"


class ModelIntegrityError(ValueError):
    """A saved model whose files do not match its manifest; the message names the file."""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(directory: Path) -> dict[str, str]:
    """Record the sha256 of the model's files (booster, chain, rules if any)."""
    files = {name: _digest(directory / name) for name in (BOOSTER_FILE, CHAIN_FILE, RULES_FILE)
             if (directory / name).is_file()}
    (directory / MANIFEST_FILE).write_text(json.dumps({"sha256": files}, indent=1),
                                           encoding="utf-8")
    return files


def manifest_sha256(directory: Path) -> str | None:
    """The sha256 of the manifest itself, recorded with the training run (None without one)."""
    manifest = directory / MANIFEST_FILE
    return _digest(manifest) if manifest.is_file() else None


def verify_manifest(directory: Path) -> None:
    """Raise `ModelIntegrityError` unless every model file matches the manifest."""
    manifest = directory / MANIFEST_FILE
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ModelIntegrityError(
            f"{directory}: expected a readable {MANIFEST_FILE} with the sha256 of the model's "
            "files, found none; refusing an unverifiable model (retrain it)") from None
    present = {n for n in (BOOSTER_FILE, CHAIN_FILE, RULES_FILE) if (directory / n).is_file()}
    for name in sorted(present | set(recorded)):
        found = _digest(directory / name) if name in present else "no file"
        if found != recorded.get(name, "not recorded"):
            raise ModelIntegrityError(
                f"{directory / name}: the model's file changed after it was saved (sha256 "
                f"{recorded.get(name, 'not recorded')} recorded, found {found}); refusing it")


PARALLEL_ROWS = 1024
"""Fewer rows than this are predicted and explained on one thread: starting a parallel
region (LightGBM's OpenMP, numba's) costs more than the work (one row: ≈ 8 ms instead of
0.1 ms on a busy 2-core machine)."""


def prediction_threads(rows: int) -> int:
    """Threads for predicting ``rows`` rows: 1 below `PARALLEL_ROWS`, else 0 (all)."""
    return 1 if rows < PARALLEL_ROWS else 0


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
        return self.raw_of(self.spec.matrix(table, source))

    def raw_of(self, x: npt.NDArray[np.float64], threads: int | None = None) -> npt.NDArray:
        """The booster's log-odds for the feature matrix ``x`` (`FeatureSpec.matrix`), on
        ``threads`` threads (default: `prediction_threads` of its rows)."""
        return self.booster.predict(x, raw_score=True, num_threads=(
            threads if threads is not None else prediction_threads(len(x))))

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
        write_manifest(directory)
        return directory

    @classmethod
    def load(cls, directory: Path) -> RiskModel:
        """The model saved in ``directory``, after checking its files against the manifest."""
        verify_manifest(directory)
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



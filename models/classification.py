"""The whole classification of a feature table: model score, then the qualitative judgement.

booster log-odds → calibrated probability → 0–1000 model score → rules and fusion → final score
and internal risk level → the jurisdiction profile's label. The rules are the model's own
(carried in its files) unless others are given; the profile only changes cut points and labels.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from models.feature_frame import as_arrow
from models.policy.judgement import Judgement, judge
from models.policy.profiles import Profile, profile
from models.policy.rules import RuleSet
from models.risk_model import RiskModel

OUTPUT_COLUMNS = ("probability", "model_score", "model_level", "final_score", "risk_level",
                  "class_label", "fired_rules")


@dataclass(frozen=True)
class Classification:
    probability: npt.NDArray[np.float64]
    judgement: Judgement

    def to_arrow(self) -> pa.Table:
        judged = self.judgement.to_arrow()
        table = judged.add_column(0, "probability", pa.array(self.probability, pa.float64()))
        return table.replace_schema_metadata({
            "ecr.rules_version": self.judgement.rules_version,
            "ecr.profile": self.judgement.profile.key,
        })


def classify(
    model: RiskModel, table: pa.Table | pd.DataFrame, jurisdiction: Profile | None = None,
    rules: RuleSet | None = None, as_of: dt.date | None = None, source: str = "table",
) -> Classification:
    """Score and judge every row, in input order (see `models.policy.judgement` for the rules'
    precedence). ``as_of`` dates the rules when the table has no ``as_of`` column."""
    table = as_arrow(table)
    probability, score = model.calibrated(model.raw_logit(table, source))
    judgement = judge(score, table, rules or model.rules, jurisdiction or profile(), as_of)
    return Classification(probability, judgement)


def classification_frame(result: pa.Table) -> pd.DataFrame:
    """The classification as pandas, text as plain objects and fired rules as lists."""
    frame = result.to_pandas()
    for column in ("model_level", "risk_level", "class_label"):
        frame[column] = frame[column].astype(object)
    frame["fired_rules"] = [list(r) for r in frame["fired_rules"]]
    return frame

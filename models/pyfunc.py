"""The MLflow pyfunc flavour of a `RiskModel`, so any MLflow tool can load and call it.

The model's files (LightGBM booster, scoring-chain JSON) travel as MLflow artifacts and the
wrapper is logged as code (`models/mlflow_entry.py`), so nothing is pickled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd

from models.classification import classification_frame, classify
from models.risk_model import RiskModel

ARTIFACT_KEY = "risk_model"
ENTRY_POINT = Path(__file__).with_name("mlflow_entry.py")
"""The models-from-code file to pass to ``mlflow.pyfunc.log_model(python_model=...)``."""


class RiskModelPyfunc(mlflow.pyfunc.PythonModel):
    """predict(frame) → probability, model score and level, final score, level and label, fired
    rules (`models.classification`), under the default jurisdiction profile."""

    def __init__(self) -> None:
        self.risk_model: RiskModel | None = None

    def load_context(self, context: Any) -> None:
        self.risk_model = RiskModel.load(Path(context.artifacts[ARTIFACT_KEY]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        if self.risk_model is None:
            self.load_context(context)
        assert self.risk_model is not None
        result = classify(self.risk_model, model_input, source="model input")
        return classification_frame(result.to_arrow())


"""A model trained by the real pipeline on the synthetic province, and its feature table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.store import Store
from features.training_set import build_training_set
from models.explain.treeshap import CompiledForest, compile_forest
from models.registry import configure
from models.risk_model import RiskModel
from training.pipeline import TrainConfig, train


@dataclass(frozen=True)
class Trained:
    model: RiskModel
    table: pa.Table
    """3,000 rows of the training set: categories and gaps included."""
    forest: CompiledForest
    model_uri: str
    tracking_uri: str


@pytest.fixture(scope="session")
def trained(synthetic_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Trained:
    folder = tmp_path_factory.mktemp("explain")
    snapshots = [dt.date(2024, month, 1) - dt.timedelta(days=1) for month in range(7, 13)]
    table_file = folder / "training-set.parquet"
    build_training_set(synthetic_store, table_file, snapshots)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{folder}/mlflow.db")
        configure(f"sqlite:///{folder}/mlflow.db")
        result = train(TrainConfig(table=table_file, test_periods=2, valid_periods=2,
                                   train_periods=0, embargo=0, baseline=False,
                                   register=False), report=lambda _: None)
    assert result.model is not None
    table = pq.read_table(table_file)
    rows = np.sort(np.random.default_rng(0).choice(table.num_rows, 3000, replace=False))
    return Trained(result.model, table.take(rows), compile_forest(result.model.booster),
                   result.model_uri, f"sqlite:///{folder}/mlflow.db")

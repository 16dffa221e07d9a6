"""Shared fixtures: a small synthetic province in a store, and a model trained on it by the real
pipeline, for tests that need realistic volume."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.ingest import ingest
from features.store import Store
from features.training_set import build_training_set
from models.explain.treeshap import CompiledForest, compile_forest
from models.risk_model import RiskModel
from synthetic import generate
from training.pipeline import TrainConfig, train
from training.tracking import configure

# The command line's tables are as wide as the terminal: one width for every test, whether run
# from a terminal, piped, or on a pytest-xdist worker (which exports COLUMNS=80).
os.environ["COLUMNS"] = "200"
os.environ.pop("LINES", None)


@pytest.fixture(scope="session")
def synthetic_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("synthetic")
    generate(folder / "province", enterprises=3000, months=36, seed=11, end_month="2025-12")
    store = Store(folder / "store")
    report = ingest([folder / "province"], store, today=dt.date(2026, 11, 22))
    assert all(c.rejected == 0 for c in report.tables.values())
    return store


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


SPARK_REQUIRED = os.environ.get("ECR_REQUIRE_SPARK") == "1"


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A local Spark session (Python workers on this interpreter); skips without a JDK or
    pyspark unless ECR_REQUIRE_SPARK=1 (as `.ci/run` sets)."""
    problem = None
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        problem = "no JDK on this machine"
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        problem = "pyspark is not installed"
    if problem:
        if SPARK_REQUIRED:
            pytest.fail(f"Spark is mandatory here (ECR_REQUIRE_SPARK=1): {problem}")
        pytest.skip(problem)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("ecr-parity")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        .getOrCreate()
    )
    yield session
    session.stop()

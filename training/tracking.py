"""MLflow for modellers: point the fluent API at a store, promote a version, list runs.

Training logs through MLflow's fluent API (runs, nested trial runs, figures), which keeps its
state per process: `configure` sets it, once, at the start of a training command (the only
one that may create the store); `connect` points it at an existing store. Serving
never does: it reaches MLflow through `models.registry.ModelRegistry`'s own client.
"""

from __future__ import annotations

import os

import mlflow
import pandas as pd
from mlflow.tracking import MlflowClient

from models.registry import CHAMPION, EXPERIMENT, REGISTERED_MODEL, ModelRegistry


def configure(tracking_uri: str, experiment: str = EXPERIMENT) -> str:
    """Point MLflow's fluent API at the store and the experiment (created with artifacts beside
    a SQLite file if new). Returns the experiment id."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    experiment_id = ModelRegistry(tracking_uri, create=True).experiment_id(experiment)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def connect(tracking_uri: str) -> None:
    """Point MLflow's fluent API at an existing store, to read it or move an alias; raises
    `models.registry.TrackingStoreError` when a SQLite store file does not exist."""
    ModelRegistry(tracking_uri).require_store()
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)


def promote(version: str, alias: str = CHAMPION, name: str = REGISTERED_MODEL) -> str | None:
    """Point ``alias`` at ``version``; returns the version it pointed at before, if any."""
    client = MlflowClient()
    client.get_model_version(name, version)  # fails clearly on an unknown version
    try:
        previous = str(client.get_model_version_by_alias(name, alias).version)
    except mlflow.exceptions.MlflowException:
        previous = None
    client.set_registered_model_alias(name, alias, version)
    return previous


RUN_COLUMNS = {
    "run_id": "run", "tags.ecr.model_type": "model", "tags.ecr.compared_with": "vs",
    "tags.ecr.registered_version": "ver", "metrics.test_roc_auc": "AUC", "metrics.test_ks": "KS",
    "metrics.test_brier": "Brier", "metrics.test_ece": "ECE", "metrics.psi_train_test": "PSI",
    "metrics.test_outcome_rate_A": "rate A", "metrics.test_outcome_rate_D": "rate D",
    "metrics.test_distinct_score_share": "dist",
}
"""Columns of `ecr runs`: test-period metrics of each model and, beside it, the baselines
fitted on its rows (``vs`` names the model's run); every metric is in the MLflow
UI."""


def recent_runs(experiment: str = EXPERIMENT, limit: int = 10) -> pd.DataFrame:
    """Recent model runs (boosters and baselines), newest first, metrics side by side."""
    runs = mlflow.search_runs(
        experiment_names=[experiment], filter_string="tags.`ecr.kind` = 'model'",
        order_by=["attributes.start_time DESC"], max_results=limit,
    )
    if runs.empty:
        return runs
    present = {k: v for k, v in RUN_COLUMNS.items() if k in runs.columns}
    return runs[list(present)].rename(columns=present)

"""MLflow as the modellers use it: a SQLite tracking store and artifacts under ``mlruns/``,
the registered model ``enterprise-credit-risk`` and its ``champion`` alias."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import mlflow
import pandas as pd
from mlflow.tracking import MlflowClient

DEFAULT_TRACKING_URI = "sqlite:///mlruns/mlflow.db"
EXPERIMENT = "enterprise-credit-risk"
REGISTERED_MODEL = "enterprise-credit-risk"
CHAMPION = "champion"


def sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, None for other stores."""
    parsed = urlparse(tracking_uri)
    if parsed.scheme != "sqlite":
        return None
    return Path(tracking_uri.removeprefix("sqlite:///"))


def configure(tracking_uri: str, experiment: str = EXPERIMENT) -> str:
    """Point MLflow at the store, creating the experiment with artifacts beside a SQLite file.

    Returns the experiment id.
    """
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    database = sqlite_path(tracking_uri)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    found = mlflow.get_experiment_by_name(experiment)
    if found is not None:
        experiment_id = found.experiment_id
    else:
        location = ((database.parent / "artifacts").resolve().as_uri()
                    if database is not None else None)
        experiment_id = mlflow.create_experiment(experiment, artifact_location=location)
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def promote(version: str, alias: str = CHAMPION, name: str = REGISTERED_MODEL) -> str | None:
    """Point ``alias`` at ``version``; returns the version it pointed at before, if any."""
    client = MlflowClient()
    try:
        previous = client.get_model_version_by_alias(name, alias).version
    except mlflow.exceptions.MlflowException:
        previous = None
    client.get_model_version(name, version)  # fails clearly on an unknown version
    client.set_registered_model_alias(name, alias, version)
    return previous


def recent_runs(experiment: str = EXPERIMENT, limit: int = 10) -> pd.DataFrame:
    """Recent model runs (booster and baseline), newest first, metrics side by side."""
    runs = mlflow.search_runs(
        experiment_names=[experiment], filter_string="tags.`ecr.kind` = 'model'",
        order_by=["attributes.start_time DESC"], max_results=limit,
    )
    if runs.empty:
        return runs
    columns = {
        "run_id": "run", "tags.mlflow.runName": "name", "tags.ecr.model_type": "model",
        "start_time": "started", "tags.ecr.registered_version": "version",
        "metrics.test_roc_auc": "test AUC", "metrics.test_ks": "KS",
        "metrics.test_gini": "Gini", "metrics.test_brier": "Brier",
        "metrics.test_log_loss": "log loss", "metrics.test_ece": "ECE",
        "metrics.psi_train_test": "PSI", "metrics.test_outcome_rate_A": "rate A",
        "metrics.test_outcome_rate_D": "rate D",
    }
    present = {k: v for k, v in columns.items() if k in runs.columns}
    return runs[list(present)].rename(columns=present)

"""Where models live: MLflow's SQLite tracking store and registry under ``mlruns/``.

Training registers into it; serving loads from it. Artifacts go beside the SQLite file
(``mlruns/artifacts``), not into MLflow's deprecated file store.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import mlflow

DEFAULT_TRACKING_URI = "sqlite:///mlruns/mlflow.db"
EXPERIMENT = "enterprise-credit-risk"
REGISTERED_MODEL = "enterprise-credit-risk"
CHAMPION = "champion"
CHAMPION_URI = f"models:/{REGISTERED_MODEL}@{CHAMPION}"


def sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, None for other stores."""
    if urlparse(tracking_uri).scheme != "sqlite":
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


def registered_version(model_uri: str) -> str:
    """``name/version`` for a registry URI (``models:/name@alias`` or ``models:/name/3``);
    any other URI stands for itself."""
    if not model_uri.startswith("models:/"):
        return model_uri
    reference = model_uri.removeprefix("models:/")
    client = mlflow.MlflowClient()
    if "@" in reference:
        name, alias = reference.split("@", 1)
        return f"{name}/{client.get_model_version_by_alias(name, alias).version}"
    return reference

"""Load registered models through an explicit MLflow client: no process-wide MLflow state.

`ModelRegistry(tracking_uri)` binds one `MlflowClient` to a tracking store and registry. It
resolves a model URI (``models:/name@alias``, ``models:/name/3``, ``runs:/…`` or a directory)
to the registered version behind it and loads the scoring chain from the logged files with the
installed package's code (`RiskModel.load`): the code file logged beside the model is never
executed. A long-lived server holds one registry and passes the `LoadedModel` it returns to
every use case.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import urlparse

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.models import Model
from mlflow.tracking import MlflowClient

from ecr_settings import CHAMPION, REGISTERED_MODEL
from models.pyfunc import ARTIFACT_KEY
from models.risk_model import ModelIntegrityError, RiskModel, manifest_sha256

EXPERIMENT = "enterprise-credit-risk"
"""The MLflow experiment of model runs."""
CHAMPION_URI = f"models:/{REGISTERED_MODEL}@{CHAMPION}"
MANIFEST_TAG = "ecr.model_manifest_sha256"
"""Run tag: the sha256 of the logged model's manifest, checked when the run is known."""

__all__ = ["CHAMPION", "CHAMPION_URI", "EXPERIMENT", "REGISTERED_MODEL", "LoadedModel",
           "ModelRegistry", "TrackingStoreError", "owner_only", "sqlite_path"]


@contextmanager
def owner_only() -> Iterator[None]:
    """Create files 0600 and folders 0700 inside the block (process umask 077, restored on
    exit): MLflow's store and artifacts hold real feature rows (``input_example.json``).
    The umask is process-wide, so this wraps whole commands, never a server's requests."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


class TrackingStoreError(ValueError):
    """A tracking store that does not exist where one is only read; the message names it."""


def sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, None for other stores."""
    if urlparse(tracking_uri).scheme != "sqlite":
        return None
    return Path(tracking_uri.removeprefix("sqlite:///"))


@dataclass(frozen=True)
class LoadedModel:
    """A scoring chain with the identity recorded beside everything it produces."""

    model: RiskModel
    uri: str
    """The URI it was loaded from, as given (``models:/enterprise-credit-risk@champion``)."""
    version: str
    """``name/version`` in the registry, or the URI itself for an unregistered model."""
    run_id: str | None = None
    """The MLflow run that trained it, when known."""

    @property
    def rules_version(self) -> str:
        return self.model.rules.version_id


class ModelRegistry:
    """One MLflow tracking store and registry, reached through its own client.

    Only training creates a store (``create=True``); otherwise a SQLite URI whose file does
    not exist is refused the first time the store is needed (a typo never becomes a new,
    empty store). A model given as a directory needs no store.
    """

    def __init__(self, tracking_uri: str, create: bool = False) -> None:
        self.tracking_uri = tracking_uri
        self.create = create
        database = sqlite_path(tracking_uri)
        if create and database is not None:
            with owner_only():
                database.parent.mkdir(parents=True, exist_ok=True)

    def require_store(self) -> None:
        """Raise `TrackingStoreError` for a SQLite store file that does not exist (unless
        this registry may create it)."""
        database = sqlite_path(self.tracking_uri)
        if database is not None and not self.create and not database.is_file():
            raise TrackingStoreError(
                f"tracking store {self.tracking_uri}: no such database file {database}; "
                "check --tracking-uri (only `ecr train` creates a store)")

    @cached_property
    def client(self) -> MlflowClient:
        self.require_store()
        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def experiment_id(self, name: str) -> str:
        """The experiment's id, creating it (artifacts beside a SQLite store) if needed; a
        store or artifact folder created here is owner-only."""
        with owner_only():
            found = self.client.get_experiment_by_name(name)
            if found is not None:
                return found.experiment_id
            database = sqlite_path(self.tracking_uri)
            location = None
            if database is not None:
                artifacts = database.parent / "artifacts"
                artifacts.mkdir(exist_ok=True)
                location = artifacts.resolve().as_uri()
            return self.client.create_experiment(name, artifact_location=location)

    def version(self, model_uri: str) -> tuple[str, str | None]:
        """``(name/version, run id)`` for a registered model; a logged model
        (``models:/m-…``) is its id, and any other URI stands for itself."""
        version, run_id, _ = self._resolve(model_uri)
        return version, run_id

    def load(self, model_uri: str) -> LoadedModel:
        """The scoring chain behind ``model_uri`` with its registered version.

        Raises `mlflow.exceptions.MlflowException` for an unknown model, alias or version,
        `ModelIntegrityError` for files that differ from their manifest or from the manifest
        digest tagged on the training run, and ValueError for a model that is not an
        enterprise-credit-risk model.
        """
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        version, run_id, location = self._resolve(model_uri)
        local = Path(mlflow.artifacts.download_artifacts(
            artifact_uri=location, tracking_uri=self.tracking_uri,
            registry_uri=self.tracking_uri))
        chain = chain_directory(local, model_uri)
        # Check the digest recorded with the run before any file is parsed.
        recorded = self.client.get_run(run_id).data.tags.get(MANIFEST_TAG) if run_id else None
        found = manifest_sha256(chain)
        if recorded is not None and found is not None and recorded != found:
            raise ModelIntegrityError(
                f"{model_uri}: the model's manifest differs from the one recorded with its "
                f"training run {run_id} (tag {MANIFEST_TAG}); its files changed after it was "
                "logged, refusing it")
        return LoadedModel(RiskModel.load(chain), model_uri, version, run_id)

    def _resolve(self, model_uri: str) -> tuple[str, str | None, str]:
        """``(version, run id, where its files are)``, asking the registry once, through this
        client (not MLflow's globals)."""
        found = self._registered(model_uri)
        if found is not None:
            return (f"{found.name}/{found.version}", found.run_id,
                    self.client.get_model_version_download_uri(found.name, found.version))
        if model_uri.startswith("models:/"):
            model_id = model_uri.removeprefix("models:/")
            logged = self.client.get_logged_model(model_id)
            return model_id, logged.source_run_id, logged.artifact_location
        return model_uri, None, model_uri

    def _registered(self, model_uri: str) -> ModelVersion | None:
        """The registry entry a ``models:/name@alias`` or ``models:/name/N`` URI names."""
        if not model_uri.startswith("models:/"):
            return None
        reference = model_uri.removeprefix("models:/")
        if "@" in reference:
            name, alias = reference.split("@", 1)
            return self.client.get_model_version_by_alias(name, alias)
        if "/" in reference:
            name, number = reference.split("/", 1)
            return self.client.get_model_version(name, number)
        return None  # a logged model's id


def chain_directory(model_directory: Path, model_uri: str) -> Path:
    """Where a logged pyfunc model keeps the `RiskModel` files (from its MLmodel file)."""
    try:
        flavour = Model.load(str(model_directory)).flavors["python_function"]
        relative = flavour["artifacts"][ARTIFACT_KEY]["path"]
    except (OSError, KeyError, TypeError, mlflow.exceptions.MlflowException):
        raise ValueError(f"{model_uri}: not an enterprise-credit-risk model") from None
    return model_directory / relative

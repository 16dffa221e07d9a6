"""Start the service under uvicorn: what `ecr serve` does, one floor below the command.

Before any worker starts, the parent migrates the results store, makes sure the server
secret exists, and resolves the configured model (an alias such as ``@champion``) to one
version, written to the pointer file every worker loads from: all workers serve the same
version even if the alias moves during start-up. Settings reach the workers through the
environment (``ECR_*``); several workers share their metrics through a private directory
(``PROMETHEUS_MULTIPROC_DIR``).
"""

from __future__ import annotations

import os
import tempfile

import uvicorn

from ecr_settings import Settings
from models.registry import ModelRegistry
from serving.access.secret import load_secret
from serving.api.model_slot import write_pointer
from serving.api.state import model_pointer
from serving.results.store import ResultsStore


def prepare(settings: Settings) -> str:
    """Migrate, create the secret, pin the model version; returns it (``name/version``)."""
    ResultsStore(settings.database_url).migrate().engine.dispose()
    load_secret(settings.secret_file,
                settings.secret.get_secret_value() if settings.secret else None)
    registry = ModelRegistry(settings.tracking_uri)
    registry.require_store()
    version, _ = registry.version(settings.model_uri)
    write_pointer(model_pointer(settings), version, settings.model_uri)
    return version


def environment(settings: Settings) -> dict[str, str]:
    """The ``ECR_*`` variables that give a worker these settings."""
    values = settings.model_dump(mode="json", exclude={"secret"})
    found = {f"ECR_{name.upper()}": str(value) for name, value in values.items()
             if value is not None}
    if settings.secret is not None:
        found["ECR_SECRET"] = settings.secret.get_secret_value()
    return found


def serve(settings: Settings) -> None:
    """Run the service until interrupted (SIGINT/SIGTERM: requests in flight finish)."""
    prepare(settings)
    os.environ.update(environment(settings))
    with tempfile.TemporaryDirectory(prefix="ecr-metrics-") as metrics:
        if settings.workers > 1:
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics
        uvicorn.run("serving.api.app:app_from_environment", factory=True,
                    host=settings.host, port=settings.port, workers=settings.workers,
                    access_log=False, log_level="warning", timeout_graceful_shutdown=30,
                    proxy_headers=False, server_header=False)

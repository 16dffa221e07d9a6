"""The results store on SQLite (a file per test) and on PostgreSQL (a schema per test), and
one real deployment per database for the service's API and pages tests.

PostgreSQL comes from ``$ECR_TEST_POSTGRES_URL`` (default: the development machine's server on
127.0.0.1:5432, user postgres, database test). Without a server the PostgreSQL cases skip,
unless ``ECR_REQUIRE_POSTGRES=1`` (as `.ci/run` sets), which makes them fail instead.

`deployment` is the service as it runs: two published periods in a results store, the
trained model registered as ``champion``, keys of every kind, and `ecr serve` running in a
subprocess under uvicorn, reached over HTTP. It is built once per database for the whole
session and shared by ``tests/serving/api`` and ``tests/serving/pages`` (start-up loads the
model and opens the store once, as in production); tests that stop or reload a server start
their own with `start_server`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import mlflow
import pytest
import sqlalchemy as sa

from ecr_settings import REGISTERED_MODEL
from features.store import Store
from models.policy.profiles import profile
from models.registry import ModelRegistry
from serving.access.keys import KeyRing
from serving.access.roles import Role
from serving.access.secret import load_secret
from serving.results.store import ResultsStore
from serving.use_cases import classify_period
from tests.conftest import Trained

POSTGRES_URL = os.environ.get("ECR_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_schema_url() -> Iterator[str]:
    """A fresh schema on the test server, dropped afterwards; its URL selects it."""
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        engine.dispose()
        if os.environ.get("ECR_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but unreachable at {POSTGRES_URL}: {error}")
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}")
    schema = f"ecr_test_{uuid.uuid4().hex[:12]}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        separator = "&" if "?" in POSTGRES_URL else "?"
        # options last: a test may add to them (``%20-c…``)
        yield (f"{POSTGRES_URL}{separator}application_name={schema}"
               f"&options=-csearch_path%3D{schema}")
    finally:
        with engine.begin() as connection:
            # Connections a test left in the pools of engines it never disposed: closed
            # with the schema, so that they do not pile up towards max_connections (two
            # pytest-xdist workers reached 93 of the server's 100).
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s AND pid <> pg_backend_pid()", (schema,))
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/results.db"
    else:
        yield from postgres_schema_url()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_schema_url()


# -- one deployment per database for the API and the pages tests ----------------------------

NOVEMBER, DECEMBER = dt.date(2025, 11, 30), dt.date(2025, 12, 31)
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Deployment:
    database_url: str
    store: Path
    tracking_uri: str
    secret_file: Path
    folder: Path
    keys: dict[str, str] = field(default_factory=dict)
    """Kind of key (sampling, regulator, admin, regulator_region, expired, revoked) → key."""
    region: str = ""
    """The region prefix of the region-limited key."""
    url: str = ""

    def environment(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "ECR_DATABASE_URL": self.database_url,
                "ECR_STORE": str(self.store), "ECR_TRACKING_URI": self.tracking_uri,
                "ECR_SECRET_FILE": str(self.secret_file),
                "ECR_MODEL_URI": f"models:/{REGISTERED_MODEL}@champion",
                "ECR_RATE_LIMIT": "100000/minute", **extra}

    def headers(self, kind: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[kind]}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log: Path

    def stop(self, timeout: float = 30) -> int:
        self.process.terminate()
        return self.process.wait(timeout)


def start_server(deployment: Deployment, workers: int = 1, **environment: str) -> Server:
    """`ecr serve` in a subprocess, ready when /healthz answers."""
    port = free_port()
    log = deployment.folder / f"server-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "ecr_cli", "serve", "--port", str(port), "--workers",
         str(workers)], cwd=ROOT, env=deployment.environment(**environment),
        stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ecr serve exited {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return Server(process, url, log)
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"ecr serve did not start in time:\n{log.read_text()}")


def register(trained: Trained, alias: str = "champion") -> str:
    """Register the trained model as a new version and point ``alias`` at it."""
    client = mlflow.MlflowClient(tracking_uri=trained.tracking_uri,
                                 registry_uri=trained.tracking_uri)
    with contextlib.suppress(mlflow.exceptions.MlflowException):
        client.create_registered_model(REGISTERED_MODEL)
    source = ModelRegistry(trained.tracking_uri)._resolve(trained.model_uri)[2]
    run_id = ModelRegistry(trained.tracking_uri).version(trained.model_uri)[1]
    version = client.create_model_version(REGISTERED_MODEL, source, run_id=run_id)
    client.set_registered_model_alias(REGISTERED_MODEL, alias, version.version)
    return str(version.version)


def _publish(database_url: str, store: Store, trained: Trained) -> None:
    results = ResultsStore(database_url).migrate()
    loaded = ModelRegistry(trained.tracking_uri).load(f"models:/{REGISTERED_MODEL}@champion")
    for period in (NOVEMBER, DECEMBER):
        classify_period(store, results, loaded, period, profile())
    results.engine.dispose()


def _keys(deployment: Deployment, region: str) -> None:
    engine = ResultsStore(deployment.database_url).engine
    ring = KeyRing(engine, load_secret(deployment.secret_file))
    now = dt.datetime.now(dt.UTC)
    for role in Role:
        deployment.keys[role.value] = ring.create(role, f"test {role.value}")[1]
    deployment.keys["regulator_region"] = ring.create(Role.REGULATOR, "county bureau",
                                                      region=region)[1]
    deployment.keys["sampling_region"] = ring.create(Role.SAMPLING, "county sampling",
                                                     region=region)[1]
    expiring, deployment.keys["expired"] = ring.create(
        Role.REGULATOR, "expires soon", expires_at=now + dt.timedelta(seconds=1))
    revoked, deployment.keys["revoked"] = ring.create(Role.REGULATOR, "revoked")
    ring.revoke(revoked.key_id)
    deployment.keys["unknown"] = "ecr_000000000000_" + "x" * 43
    deployment.keys["malformed"] = "not-a-key"
    time.sleep(max(0.0, (expiring.expires_at - dt.datetime.now(dt.UTC)).total_seconds()))
    engine.dispose()


def busiest_county(store: Store) -> str:
    """A county code with many enterprises (the region-limited keys' region)."""
    import duckdb

    path = store.table_path("enterprises")
    return duckdb.sql(f"SELECT region_code FROM '{path}' GROUP BY 1 ORDER BY count(*) DESC, 1 "
                      "LIMIT 1").fetchone()[0]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def deployment(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               synthetic_store: Store, trained: Trained) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp(f"service-{request.param}")
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{folder}/results.db"])
    else:
        urls = postgres_schema_url()
    database_url = next(urls)
    register(trained)
    store = Store(folder / "store")  # its own copy: inspection results are written to it
    shutil.copytree(synthetic_store.root, store.root)
    deployment = Deployment(database_url, store.root, trained.tracking_uri,
                            folder / "service.secret", folder)
    _publish(database_url, store, trained)
    deployment.region = busiest_county(store)
    _keys(deployment, deployment.region)
    server = start_server(deployment)
    deployment.url = server.url
    yield deployment
    server.stop()
    for _ in urls:  # drop the PostgreSQL schema
        pass

"""`ecr classify --engine spark [--master URL]`: the monthly run on Spark from the command
line, and one-line errors for an engine or a master that cannot be used."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ecr_cli.main import app
from features.store import Store
from serving.results.store import ResultsStore
from tests.conftest import Trained

runner = CliRunner(env={"COLUMNS": "200"})
DECEMBER = "2025-12-31"


def arguments(store: Store, trained: Trained, folder: Path, *extra: str) -> list[str]:
    return ["classify", "--as-of", DECEMBER, "--store", str(store.root), "--model",
            trained.model_uri, "--tracking-uri", trained.tracking_uri, "--database-url",
            f"sqlite:///{folder}/results.db", "--show-warnings", "0", *extra]


def test_classify_on_spark(spark: Any, synthetic_store: Store, trained: Trained,
                           tmp_path: Path) -> None:
    result = runner.invoke(app, arguments(synthetic_store, trained, tmp_path, "--engine",
                                          "spark", "--master", spark.sparkContext.master),
                           env={"ECR_SPARK_WORK_DIR": str(tmp_path / "spark")})
    assert result.exit_code == 0, result.output
    assert f"published {DECEMBER}" in result.output
    assert "spark features" in result.output
    results = ResultsStore(f"sqlite:///{tmp_path}/results.db")
    assert results.published_run(dt.date(2025, 12, 31)).rows > 1000
    results.engine.dispose()
    assert not list((tmp_path / "spark").rglob("*.parquet"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(("extra", "message"), [
    (["--engine", "flink"], "error: --engine: expected one of duckdb, spark, found 'flink'"),
    (["--engine", "spark", "--master", "local[two]"],
     "error: --master: expected local, local[N], local[*] or spark://HOST:PORT, found "
     "'local[two]'"),
    (["--engine", "spark", "--master", "spark://127.0.0.1:{port}"],
     "error: --master: expected a reachable Spark master, found none at 127.0.0.1:{port}"),
])
def test_unusable_engine_or_master(synthetic_store: Store, trained: Trained, tmp_path: Path,
                                   extra: list[str], message: str) -> None:
    port = free_port()
    extra = [part.format(port=port) for part in extra]
    result = runner.invoke(app, arguments(synthetic_store, trained, tmp_path, *extra))
    assert result.exit_code == 2, result.output
    assert message.format(port=port) in " ".join(result.output.split())
    results = ResultsStore(f"sqlite:///{tmp_path}/results.db")
    assert results.periods() == []  # nothing published, no run left behind
    results.engine.dispose()

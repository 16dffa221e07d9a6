"""Only `ecr train` creates an MLflow store: commands that read it or move an alias refuse a
SQLite tracking URI whose file does not exist, naming it, and create nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecr_cli.main import app
from models.registry import CHAMPION_URI, ModelRegistry, TrackingStoreError

runner = CliRunner()


@pytest.mark.parametrize("command", [
    ["promote", "1"],
    ["runs"],
    ["score", "--table", "in.csv", "--out", "out.csv"],
])
def test_read_commands_refuse_a_missing_sqlite_store(tmp_path: Path, command: list[str]) -> None:
    typo = tmp_path / "mlrun" / "mlflow.db"
    result = runner.invoke(app, [*command, "--tracking-uri", f"sqlite:///{typo}"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(typo) in lines[0]
    assert not typo.exists() and not typo.parent.exists()


def test_loading_from_a_missing_store_is_refused(tmp_path: Path) -> None:
    typo = tmp_path / "typo.db"
    with pytest.raises(TrackingStoreError, match=r"typo\.db"):
        ModelRegistry(f"sqlite:///{typo}").load(CHAMPION_URI)
    assert not typo.exists()


def test_training_may_create_the_store(tmp_path: Path) -> None:
    store = tmp_path / "new" / "mlflow.db"
    registry = ModelRegistry(f"sqlite:///{store}", create=True)
    registry.experiment_id("enterprise-credit-risk")
    assert store.is_file()
    assert ModelRegistry(f"sqlite:///{store}").experiment_id("enterprise-credit-risk")

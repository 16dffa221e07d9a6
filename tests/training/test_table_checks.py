"""What a bring-your-own training table is checked for before anything is trained: a named time
column that is absent, and identifier-like text columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest
from typer.testing import CliRunner

from ecr_cli.main import app
from training.pipeline import TrainConfig, train
from training.table import TableError
from training.tracking import configure

runner = CliRunner()
ROWS = 300


def table_file(tmp_path: Path, **extra: object) -> Path:
    rng = np.random.default_rng(4)
    x = rng.normal(size=ROWS)
    y = (rng.random(ROWS) < 1 / (1 + np.exp(-2 * x))).astype(int)
    path = tmp_path / "t.csv"
    pcsv.write_csv(pa.table({"x": x, **extra, "y": y}), path)
    return path


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    configure(uri)
    return uri


def test_a_named_time_column_that_is_absent_is_an_error(tracking: str, tmp_path: Path) -> None:
    path = table_file(tmp_path)
    result = runner.invoke(app, ["train", "--table", str(path), "--label", "y",
                                 "--time-column", "nonexistent"])
    assert result.exit_code == 2
    assert "'nonexistent'" in result.stderr and "time column" in result.stderr
    with pytest.raises(TableError, match="'nonexistent'"):
        train(TrainConfig(table=path, label="y", time_column="nonexistent"),
              report=lambda _: None)


def test_without_the_default_time_column_the_split_is_stratified_and_says_so(
    tracking: str, tmp_path: Path
) -> None:
    lines: list[str] = []
    result = train(TrainConfig(table=table_file(tmp_path), label="y", baseline=False,
                               register=False), report=lines.append)
    assert result.protocol is not None and result.protocol.describe()["kind"] == "stratified"
    assert any("'as_of'" in line and "stratified" in line for line in lines)


def test_an_identifier_like_text_column_is_not_a_feature(tracking: str, tmp_path: Path) -> None:
    sector = np.random.default_rng(5).choice(["farm", "shop"], ROWS)
    path = table_file(tmp_path, code=[f"E{i:05d}" for i in range(ROWS)], sector=sector)
    lines: list[str] = []
    result = train(TrainConfig(table=path, label="y", baseline=False, register=False),
                   report=lines.append)
    assert result.model is not None
    assert result.model.spec.names == ("x", "sector")
    assert any("'code'" in line and "identifier" in line for line in lines)

"""Every notebook runs top to bottom against a real MLflow store holding a trained model."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pyarrow.csv as pcsv
import pytest
from nbclient import NotebookClient
from typer.testing import CliRunner

from ecr_cli.main import app
from tests.training.test_train_end_to_end import byo_table

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def tracking_with_runs(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("notebook-mlflow")
    uri = f"sqlite:///{folder}/mlflow.db"
    table = folder / "byo.csv"
    pcsv.write_csv(byo_table(3000, seed=4), table)
    result = CliRunner().invoke(app, ["train", "--table", str(table), "--label", "target",
                                      "--id-column", "record", "--tracking-uri", uri])
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(app, ["promote", "1", "--tracking-uri", uri]).exit_code == 0
    return uri


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path: Path, tracking_with_runs: str,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_with_runs)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                   for o in outputs)
    assert "enterprise-credit-risk@champion = version 1" in text

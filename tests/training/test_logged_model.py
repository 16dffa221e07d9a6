"""The logged model as files on disk: a sha256 manifest guards the scoring chain, the code file
stored beside it is never executed, and MLflow's files are owner-only; `ecr score` with it
refuses impossible values and warns of columns read as missing wholesale."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest
from typer.testing import CliRunner

from ecr_cli.main import app
from models.registry import ModelRegistry
from models.risk_model import BOOSTER_FILE, MANIFEST_FILE, ModelIntegrityError, write_manifest
from training.pipeline import TrainConfig, train
from training.tracking import configure

runner = CliRunner()


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path | str | int]]:
    """A small model trained and logged (unregistered) into its own SQLite store."""
    folder = tmp_path_factory.mktemp("logged")
    rng = np.random.default_rng(3)
    x = rng.normal(size=300)
    y = (rng.random(300) < 1 / (1 + np.exp(-2 * x))).astype(int)
    table = folder / "table.csv"
    pcsv.write_csv(pa.table({"x": x, "sector": rng.choice(["farm", "shop", "plant"], 300),
                             "penalties_12m": rng.poisson(1, 300), "y": y}), table)
    store = folder / "tracking"
    umask = os.umask(0o022)
    os.umask(umask)
    uri = f"sqlite:///{store}/mlflow.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        configure(uri)
        result = train(TrainConfig(table=table, label="y", baseline=False, register=False),
                       report=lambda _: None)
        logged_model = mlflow.MlflowClient().get_logged_model(
            result.model_uri.removeprefix("models:/"))
        model = Path(logged_model.artifact_location.removeprefix("file://"))
        yield {"store": store, "uri": uri, "model": model, "table": table, "umask": umask,
               "model_uri": result.model_uri}


def copy_of(logged: dict[str, Path | str | int], tmp_path: Path) -> Path:
    return Path(shutil.copytree(logged["model"], tmp_path / "model"))


def chain(directory: Path) -> Path:
    return directory / "artifacts" / "risk_model"


def score(logged: dict[str, Path | str | int], model: Path, out: Path) -> object:
    return runner.invoke(app, ["score", "--table", str(logged["table"]), "--out", str(out),
                               "--model", str(model), "--tracking-uri", str(logged["uri"])])


def test_a_tampered_booster_is_refused(logged: dict[str, Path | str | int], tmp_path: Path) -> None:
    model = copy_of(logged, tmp_path)
    booster = chain(model) / BOOSTER_FILE
    text = booster.read_text()
    start = text.index("leaf_value=") + len("leaf_value=")
    booster.write_text(text[:start] + "9" + text[start:])
    with pytest.raises(ModelIntegrityError, match=BOOSTER_FILE):
        ModelRegistry(str(logged["uri"])).load(str(model))
    out = tmp_path / "scored.csv"
    result = score(logged, model, out)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert BOOSTER_FILE in result.stderr and "changed" in result.stderr  # type: ignore[attr-defined]
    assert not out.exists()


def test_a_model_without_its_manifest_is_refused(logged: dict[str, Path | str | int],
                                                  tmp_path: Path) -> None:
    model = copy_of(logged, tmp_path)
    (chain(model) / MANIFEST_FILE).unlink()
    with pytest.raises(ModelIntegrityError, match=MANIFEST_FILE):
        ModelRegistry(str(logged["uri"])).load(str(model))


def test_the_stored_code_file_is_never_executed(logged: dict[str, Path | str | int],
                                                 tmp_path: Path) -> None:
    model = copy_of(logged, tmp_path)
    marker = tmp_path / "executed"
    with (model / "mlflow_entry.py").open("a") as entry:
        entry.write(f"\nopen({str(marker)!r}, 'w').write('ran')\n")
    out = tmp_path / "scored.csv"
    result = score(logged, model, out)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert out.exists() and not marker.exists()


def test_mlflow_files_are_owner_only(logged: dict[str, Path | str | int]) -> None:
    store = Path(logged["store"])
    found = [store, *store.rglob("*")]
    assert any(p.name == "input_example.json" for p in found)
    loose = {str(p.relative_to(store.parent)): oct(stat.S_IMODE(p.stat().st_mode))
             for p in found
             if stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)}
    assert loose == {}


def test_training_restores_the_umask(logged: dict[str, Path | str | int]) -> None:
    current = os.umask(0o022)
    os.umask(current)
    assert current == logged["umask"]


def scoring_file(tmp_path: Path, **columns: object) -> Path:
    data = {"x": [0.5, -1.0, 2.0], "sector": ["farm", "shop", "plant"],
            "penalties_12m": [0, 1, 2]} | columns
    path = tmp_path / "score-me.csv"
    pcsv.write_csv(pa.table(data), path)
    return path


def test_scoring_warns_of_empty_columns_and_unseen_categories(
    logged: dict[str, Path | str | int], tmp_path: Path
) -> None:
    table = scoring_file(tmp_path, x=pa.array([None, None, None], pa.float64()),
                         sector=["farm", "mine", "mine"])
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["score", "--table", str(table), "--out", str(out),
                                 "--model", str(logged["model"])])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2
    assert "column 'x' is empty in every one of the 3 rows" in warnings[0]
    assert "column 'sector': 2 rows hold categories not seen in training" in warnings[1]
    assert "'mine'" in warnings[1] and out.exists()


@pytest.mark.parametrize(("column", "values", "expected"), [
    ("x", [0.0, float("inf"), 1.0], "row 2, column 'x': expected a finite number, found inf"),
    ("penalties_12m", [0, 1, -3], "row 3, column 'penalties_12m': expected a number ≥ 0"),
])
def test_scoring_refuses_impossible_values(
    logged: dict[str, Path | str | int], tmp_path: Path, column: str, values: list[float],
    expected: str,
) -> None:
    table = scoring_file(tmp_path, **{column: values})
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["score", "--table", str(table), "--out", str(out),
                                 "--model", str(logged["model"])])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and expected in result.stderr
    assert not out.exists()


def test_a_consistently_rewritten_model_is_refused_by_its_run(
    logged: dict[str, Path | str | int], tmp_path: Path
) -> None:
    """Booster and manifest both rewritten in the store: the digest tagged on the training run
    still tells."""
    files = chain(Path(logged["model"]))
    backup = Path(shutil.copytree(files, tmp_path / "backup"))
    try:
        booster = files / BOOSTER_FILE
        booster.write_text(booster.read_text().replace("leaf_value=", "leaf_value=9", 1))
        write_manifest(files)
        with pytest.raises(ModelIntegrityError, match="recorded with its training run"):
            ModelRegistry(str(logged["uri"])).load(str(logged["model_uri"]))
    finally:
        shutil.rmtree(files)
        shutil.copytree(backup, files)
    ModelRegistry(str(logged["uri"])).load(str(logged["model_uri"]))

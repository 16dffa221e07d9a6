"""Command-line commands of the serving package: score."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from features.cli import console, fail
from models.registry import CHAMPION_URI, DEFAULT_TRACKING_URI, configure


def score_command(
    table: Annotated[Path, typer.Option(help="Feature table to score (CSV or Parquet).")],
    out: Annotated[Path, typer.Option(help="Output file (CSV or Parquet by extension).")],
    model: Annotated[str, typer.Option(help="Model URI.")] = CHAMPION_URI,
    keep: Annotated[list[str] | None, typer.Option(
        help="Input column to copy to the output, e.g. uscc (repeatable).")] = None,
    tracking_uri: Annotated[str, typer.Option(
        "--tracking-uri", envvar="MLFLOW_TRACKING_URI", help="MLflow tracking store.")
    ] = DEFAULT_TRACKING_URI,
) -> None:
    """Write probability, score and risk_class for every row of a feature table, in order."""
    import mlflow

    from models.feature_frame import FeatureTableError
    from models.tables import TableFileError
    from serving.score_file import score_file

    configure(tracking_uri)
    try:
        scored = score_file(model, table, out, tuple(keep or ()))
    except (FeatureTableError, TableFileError, ValueError) as error:
        raise fail(error) from None
    except mlflow.exceptions.MlflowException as error:
        raise fail(f"cannot load model {model}: {error.message}") from None
    shares = ", ".join(f"{c} {n:,}" for c, n in scored.class_counts.items())
    console.print(f"{scored.rows:,} rows scored with {model} → {out} ({shares})")

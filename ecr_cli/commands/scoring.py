"""Command-line commands of the serving package: score."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from features.cli import console, fail
from models.registry import CHAMPION_URI, DEFAULT_TRACKING_URI, configure

TrackingOption = Annotated[str, typer.Option(
    "--tracking-uri", envvar="MLFLOW_TRACKING_URI", help="MLflow tracking store.")]


def score_command(
    table: Annotated[Path, typer.Option(help="Feature table to score (CSV or Parquet).")],
    out: Annotated[Path, typer.Option(help="Output file (CSV or Parquet by extension).")],
    model: Annotated[str, typer.Option(help="Model URI.")] = CHAMPION_URI,
    keep: Annotated[list[str] | None, typer.Option(
        help="Input column to copy to the output, e.g. uscc (repeatable).")] = None,
    profile: Annotated[str | None, typer.Option(
        help="Jurisdiction profile: cut points and class labels (henan, ningxia, hohhot). "
             "Default: henan.")] = None,
    rules: Annotated[Path | None, typer.Option(
        help="Rules file to apply instead of the model's own.")] = None,
    as_of: Annotated[dt.datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Date the rules apply at, when the table has no as_of "
                                   "column.")] = None,
    tracking_uri: TrackingOption = DEFAULT_TRACKING_URI,
) -> None:
    """Classify every row of a feature table, in order: probability, model score and level,
    rules fired, final score, level and class label."""
    import mlflow

    from models.feature_frame import FeatureTableError
    from models.policy.profiles import profile as jurisdiction
    from models.policy.rules import load_rules
    from models.tables import TableFileError
    from serving.score_file import score_file

    configure(tracking_uri)
    try:
        scored = score_file(model, table, out, tuple(keep or ()), jurisdiction(profile),
                            load_rules(rules) if rules else None,
                            as_of.date() if as_of else None)
    except (FeatureTableError, TableFileError, ValueError) as error:
        raise fail(error) from None
    except mlflow.exceptions.MlflowException as error:
        raise fail(f"cannot load model {model}: {error.message}") from None
    shares = ", ".join(f"{c} {n:,}" for c, n in scored.class_counts.items())
    console.print(f"{scored.rows:,} rows classified with {model}, rules {scored.rules_version}, "
                  f"profile {scored.profile} → {out} ({shares})")

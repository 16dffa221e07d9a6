"""Scoring commands: score a feature table, explain one enterprise."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from ecr_cli.common import (
    ModelOption,
    ProfileOption,
    StoreOption,
    TrackingOption,
    console,
    fail,
    jurisdiction,
    load_model,
    require_store,
    settings,
    verbatim,
    warn,
)
from features.catalog import DIMENSION_NAMES, Dimension
from models.levels import LEVEL_INDEX

if TYPE_CHECKING:
    from models.explain.explanation import Explanation


def score_command(
    table: Annotated[Path, typer.Option(help="Feature table to score (CSV or Parquet).")],
    out: Annotated[Path, typer.Option(help="Output file (CSV or Parquet by extension).")],
    model: ModelOption = None,
    keep: Annotated[list[str] | None, typer.Option(
        help="Input column to copy to the output, e.g. uscc (repeatable).")] = None,
    profile: ProfileOption = None,
    rules: Annotated[Path | None, typer.Option(
        help="Rules file to apply instead of the model's own.")] = None,
    as_of: Annotated[dt.datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Date the rules apply at, when the table has no as_of "
                                   "column.")] = None,
    tracking_uri: TrackingOption = None,
) -> None:
    """Classify every row of a feature table, in order: probability, model score and level,
    rules fired, final score, level and class label."""
    from models.feature_frame import FeatureTableError
    from models.policy.rules import load_rules
    from models.tables import TableFileError
    from serving.use_cases import score_file

    config = settings(model_uri=model, profile=profile, tracking_uri=tracking_uri)
    loaded = load_model(config)
    try:
        scored = score_file(loaded, table, out, jurisdiction(config), tuple(keep or ()),
                            load_rules(rules) if rules else None,
                            as_of.date() if as_of else None)
    except (FeatureTableError, TableFileError, ValueError) as error:
        raise fail(error) from None
    for warning in scored.warnings:
        warn(warning)
    shares = ", ".join(f"{c} {n:,}" for c, n in scored.class_counts.items())
    console.print(verbatim(f"{scored.rows:,} rows classified with {config.model_uri}, rules "
                           f"{scored.rules_version}, profile {scored.profile} → {out} "
                           f"({shares})"))


def explain_command(
    uscc: Annotated[str, typer.Argument(help="Unified social credit code of the enterprise.")],
    as_of: Annotated[dt.datetime, typer.Option(
        formats=["%Y-%m-%d"], help="Date to explain the classification at.")],
    model: ModelOption = None,
    profile: ProfileOption = None,
    top: Annotated[int, typer.Option(min=1, help="Factors shown each way.")] = 6,
    all_features: Annotated[bool, typer.Option(
        "--all", help="Show a line for every feature.")] = False,
    store: StoreOption = None,
    tracking_uri: TrackingOption = None,
) -> None:
    """Base points, the factors raising and lowering risk, and the rules that fired, adding up
    to the final score."""
    from serving.use_cases import NotFound, explain_enterprise

    config = settings(model_uri=model, profile=profile, store=store, tracking_uri=tracking_uri)
    opened = require_store(config)
    loaded = load_model(config)
    chosen = jurisdiction(config)
    try:
        explanation = explain_enterprise(opened, loaded, uscc, as_of.date(), chosen)
    except (NotFound, ValueError) as error:
        raise fail(error) from None
    print_explanation(explanation, len(explanation.features) if all_features else top)


def print_explanation(explanation: Explanation, top: int) -> None:
    style = explanation.profile.levels[LEVEL_INDEX[explanation.risk_level]]
    console.print(
        verbatim(explanation.uscc, "bold") + f" as of {explanation.as_of}: class "
        + verbatim(f"{explanation.class_label} {style.zh} / {style.en}", style.colour)
        + f", final score {explanation.final_score:.2f} (profile {explanation.profile.key}, "
          f"rules {explanation.rules_version})")
    table = RichTable(show_header=True, header_style="bold")
    table.add_column("line")
    table.add_column("points", justify="right")
    table.add_row("基础分 / base points (the average enterprise's log-odds)",
                  f"{explanation.base_points:.2f}")
    shown = [line for line in explanation.features[:top] if line.points]
    for line in shown:
        table.add_row(verbatim(f"{line.zh} / {line.en}"), f"{line.points:+.2f}")
    rest = explanation.features[len(shown):]
    if rest:
        table.add_row(f"其余 {len(rest)} 项 / {len(rest)} other features",
                      f"{sum(line.points for line in rest):+.2f}")
    table.add_row("[bold]模型分 / model score[/]", f"[bold]{explanation.model_score:.2f}[/]")
    for line in explanation.rules:
        table.add_row(verbatim(f"{line.key}: {line.zh} / {line.en} — {line.reason_zh} / "
                               f"{line.reason_en}"), f"{line.points:+.2f}")
    table.add_row("[bold]最终分 / final score[/]", f"[bold]{explanation.final_score:.2f}[/]")
    console.print(table)
    dimensions = ", ".join(f"{DIMENSION_NAMES[Dimension(d)][0]} {p:+.1f}"
                           for d, p in explanation.dimensions.items() if abs(p) >= 0.05)
    console.print(f"by dimension: {dimensions}")

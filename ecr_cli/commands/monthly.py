"""Monthly commands: classify a period, rescore between runs, warnings, history."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table as RichTable

from ecr_cli.common import (
    DatabaseOption,
    ModelOption,
    ProfileOption,
    StoreOption,
    TrackingOption,
    console,
    errors,
    fail,
    jurisdiction,
    load_model,
    open_registry,
    open_results,
    require_store,
    settings,
    verbatim,
)

if TYPE_CHECKING:
    from serving.results.rows import StoredWarning

TRACKING_FAILED = 3
"""Exit status of a classify that published its period but could not log it to MLflow."""


def classify_command(
    as_of: Annotated[dt.datetime, typer.Option(
        formats=["%Y-%m-%d"], help="The period: classify every enterprise alive on this date.")],
    model: ModelOption = None,
    profile: ProfileOption = None,
    force: Annotated[bool, typer.Option(
        help="Recompute even when the period is published from the same model, rules, "
             "profile and data.")] = False,
    batch_rows: Annotated[int, typer.Option(
        min=1, help="Enterprises per batch (each batch is scored, explained and written "
                    "in one go).")] = 50_000,
    warnings_shown: Annotated[int, typer.Option(
        "--show-warnings", min=0, help="Top warnings to print.")] = 10,
    engine: Annotated[str | None, typer.Option(
        help="Where features and scores are computed: duckdb (in-process) or spark. "
             "Default: $ECR_ENGINE or duckdb.")] = None,
    master: Annotated[str | None, typer.Option(
        help="Spark master for --engine spark: local[*], local[N] or spark://HOST:PORT. "
             "Default: $ECR_SPARK_MASTER or local[*].")] = None,
    store: StoreOption = None,
    database_url: DatabaseOption = None,
    tracking_uri: TrackingOption = None,
) -> None:
    """The monthly run: score, judge, explain and store every enterprise; warnings,
    month-over-month analysis and regional risk; publish the period atomically."""
    from serving.monthly.tracking import PeriodTracker
    from serving.results.store import ResultsStoreError
    from serving.use_cases import SparkOptions, classify_period

    config = settings(model_uri=model, profile=profile, store=store,
                      database_url=database_url, tracking_uri=tracking_uri, engine=engine,
                      spark_master=master)
    opened = require_store(config)
    results = open_results(config)
    loaded = load_model(config)
    chosen = jurisdiction(config)
    period = as_of.date()
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task(f"classifying {period}", total=None)
        try:
            outcome = classify_period(
                opened, results, loaded, period, chosen, force=force,
                tracker=PeriodTracker(open_registry(config)), batch_rows=batch_rows,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                engine=config.engine,
                spark=SparkOptions(config.spark_master, config.spark_work_dir))
        except (ValueError, ResultsStoreError) as error:
            raise fail(error) from None
    run = outcome.run
    if outcome.unchanged or outcome.analysis is None:
        console.print(verbatim(f"{period} is already published from {run.model_version}, "
                               f"rules {run.rules_version}, profile {run.profile} and the "
                               f"same data ({run.rows:,} enterprises, run {run.run_id}); "
                               "nothing to do (--force recomputes)"))
        return
    analysis = outcome.analysis
    shares = ", ".join(f"{k} {v:.1%}" for k, v in analysis.class_shares.items())
    console.print(verbatim(f"published {period}: {run.rows:,} enterprises ({shares}); model "
                           f"{run.model_version}, rules {run.rules_version}, profile "
                           f"{run.profile}, data {run.data_fingerprint}, run {run.run_id}"))
    if analysis.migration is not None:
        console.print(f"since {analysis.since}: {analysis.class_rose:,} rose, "
                      f"{analysis.class_fell:,} fell, score PSI {analysis.score_psi:.4f}")
    counts = ", ".join(f"{k} {v:,}" for k, v in analysis.warnings.items())
    console.print(f"warnings: {len(outcome.warnings):,} ({counts})")
    if outcome.warnings and warnings_shown:
        print_warnings(outcome.warnings[:warnings_shown], f"Top warnings, {period}")
    console.print("stage seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in
                                                outcome.timings.items()))
    if outcome.tracking_error:
        errors.print(verbatim(f"warning: {period} is published (run {run.run_id}), but its "
                              f"MLflow record failed: {outcome.tracking_error}"),
                     highlight=False, soft_wrap=True)
        raise typer.Exit(code=TRACKING_FAILED)


def rescore_command(
    since: Annotated[dt.datetime, typer.Option(
        formats=["%Y-%m-%d"], help="Re-score enterprises with records collected after this "
                                   "date.")],
    as_of: Annotated[dt.datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Date to score at (default: the store's data end, its "
                                   "last collection date).")] = None,
    model: ModelOption = None,
    profile: ProfileOption = None,
    store: StoreOption = None,
    database_url: DatabaseOption = None,
    tracking_uri: TrackingOption = None,
) -> None:
    """Re-score enterprises with new records between monthly runs and record warnings."""
    from serving.results.store import ResultsStoreError
    from serving.use_cases import rescore

    config = settings(model_uri=model, profile=profile, store=store,
                      database_url=database_url, tracking_uri=tracking_uri)
    opened = require_store(config)
    results = open_results(config)
    loaded = load_model(config)
    try:
        outcome = rescore(opened, results, loaded, since.date(), as_of.date() if as_of else None,
                          jurisdiction(config))
    except (ValueError, ResultsStoreError) as error:
        raise fail(error) from None
    counts = ", ".join(f"{k} {v:,}" for k, v in outcome.warning_counts.items())
    console.print(f"re-scored {outcome.rescored:,} enterprises with records "
                  f"collected {since.date()} … {outcome.run.period} (run {outcome.run.run_id}); "
                  "warnings: "
                  f"{len(outcome.warnings):,} ({counts})")


def history_command(
    uscc: Annotated[str, typer.Argument(help="Unified social credit code of the enterprise.")],
    database_url: DatabaseOption = None,
) -> None:
    """An enterprise's published classifications over time, with the versions behind each."""
    from serving.results.store import ResultsStoreError
    from serving.use_cases import NotFound, enterprise_history

    try:
        entries = enterprise_history(open_results(settings(database_url=database_url)), uscc)
    except (NotFound, ResultsStoreError) as error:
        raise fail(error) from None
    table = RichTable(title=verbatim(f"{entries[0].result.uscc}: published classifications",
                                     "table.title"))
    for column in ("period", "class", "final", "model", "rules fired", "top factors up",
                   "model / rules version"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        row = entry.result
        factors = ", ".join(f"{f.feature} {f.points:+.1f}" for f in row.factors_up)
        table.add_row(str(row.period), verbatim(f"{row.class_label} ({row.risk_level})"),
                      f"{row.final_score:.2f}", f"{row.model_score:.2f}",
                      verbatim(", ".join(row.fired_rules) or "–"), verbatim(factors or "–"),
                      verbatim(f"{row.model_version} / {row.rules_version}"))
    console.print(table)


def warnings_command(
    period: Annotated[dt.datetime, typer.Option(
        "--as-of", formats=["%Y-%m-%d"], help="The published period.")],
    limit: Annotated[int, typer.Option(min=1, help="How many, most severe first.")] = 20,
    ids_only: Annotated[bool, typer.Option(
        "--ids-only", help="Print only the unified social credit codes, one per line.")
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """The early warnings of a published period, most severe first."""
    from serving.results.store import ResultsStoreError
    from serving.use_cases import NotFound, period_warnings

    try:
        found = period_warnings(open_results(settings(database_url=database_url)),
                                period.date(), limit)
    except (NotFound, ResultsStoreError) as error:
        raise fail(error) from None
    if ids_only:
        for warning in found:
            typer.echo(warning.uscc)
        return
    print_warnings(found, f"Warnings, {period.date()} (most severe first)")


def print_warnings(found: list[StoredWarning], title: str) -> None:
    table = RichTable(title=verbatim(title, "table.title"))
    for column in ("uscc", "action", "class", "triggers"):
        table.add_column(column)
    for warning in found:
        table.add_row(verbatim(warning.uscc), verbatim(f"{warning.action} {warning.action_en}"),
                      f"{warning.previous_level or '–'} → {warning.risk_level}",
                      verbatim(", ".join(warning.triggers)))
    console.print(table)

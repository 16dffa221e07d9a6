"""`ecr classify` (the monthly run) and `ecr rescore` (between monthly runs)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table as RichTable

from features.cli import DEFAULT_STORE, StoreOption, console, fail, require_store
from models.registry import CHAMPION_URI, DEFAULT_TRACKING_URI
from serving.cli import TrackingOption

if TYPE_CHECKING:
    from serving.results.store import ResultsStore

DatabaseOption = Annotated[str | None, typer.Option(
    "--database-url", envvar="DATABASE_URL",
    help="Results store (default sqlite:///data/results.db; PostgreSQL by URL).")]


def open_results(database_url: str | None) -> ResultsStore:
    """The migrated results store, or a one-line error naming the URL that cannot be used."""
    import sqlalchemy as sa

    from serving.results.store import ResultsStore
    from serving.results.store import database_url as resolved

    try:
        return ResultsStore(database_url).migrate()
    except (sa.exc.SQLAlchemyError, ValueError) as error:
        detail = str(error).splitlines()[0]
        raise fail(f"results store {resolved(database_url)}: cannot open it: {detail}") from None


def classify_command(
    as_of: Annotated[dt.datetime, typer.Option(
        formats=["%Y-%m-%d"], help="The period: classify every enterprise alive on this date.")],
    model: Annotated[str, typer.Option(help="Model URI.")] = CHAMPION_URI,
    profile: Annotated[str | None, typer.Option(
        help="Jurisdiction profile (henan, ningxia, hohhot). Default: henan.")] = None,
    force: Annotated[bool, typer.Option(
        help="Recompute even when the period is published from the same model, rules, "
             "profile and data.")] = False,
    batch_rows: Annotated[int, typer.Option(
        min=1, help="Enterprises per batch (each batch is scored, explained and written "
                    "in one go).")] = 50_000,
    warnings_shown: Annotated[int, typer.Option(
        "--show-warnings", min=0, help="Top warnings to print.")] = 10,
    store: StoreOption = DEFAULT_STORE,
    database_url: DatabaseOption = None,
    tracking_uri: TrackingOption = DEFAULT_TRACKING_URI,
) -> None:
    """The monthly run: score, judge, explain and store every enterprise; warnings,
    month-over-month analysis and regional risk; publish the period atomically."""
    import mlflow

    from models.policy.profiles import profile as jurisdiction
    from serving.monthly.run import classify_period

    opened = require_store(store)
    results = open_results(database_url)
    period = as_of.date()
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task(f"classifying {period}", total=None)
        try:
            outcome = classify_period(
                opened, results, period, model, tracking_uri, jurisdiction(profile), force,
                batch_rows=batch_rows,
                progress=lambda done, total: bar.update(task, completed=done, total=total))
        except mlflow.exceptions.MlflowException as error:
            raise fail(f"cannot load model {model}: {error.message}") from None
        except ValueError as error:
            raise fail(error) from None
    run = outcome.run
    if outcome.unchanged:
        console.print(f"{period} is already published from {run.model_version}, rules "
                      f"{run.rules_version}, profile {run.profile} and the same data "
                      f"({run.rows:,} enterprises, run {run.run_id}); nothing to do "
                      "(--force recomputes)")
        return
    shares = ", ".join(f"{k} {v:.1%}" for k, v in outcome.analysis["class_shares"].items())
    console.print(f"published {period}: {run.rows:,} enterprises ({shares}); model "
                  f"{run.model_version}, rules {run.rules_version}, profile {run.profile}, "
                  f"data {run.data_fingerprint}, run {run.run_id}")
    if "migration" in outcome.analysis:
        console.print(f"since {outcome.analysis['since']}: {outcome.analysis['class_rose']:,} "
                      f"rose, {outcome.analysis['class_fell']:,} fell, score PSI "
                      f"{outcome.analysis['score_psi']:.4f}")
    counts = ", ".join(f"{k} {v:,}" for k, v in outcome.analysis["warnings"].items())
    console.print(f"warnings: {len(outcome.warnings):,} ({counts})")
    if outcome.warnings and warnings_shown:
        table = RichTable(title=f"Top warnings, {period}")
        for column in ("uscc", "action", "class", "triggers"):
            table.add_column(column)
        for warning in outcome.warnings[:warnings_shown]:
            row = warning.row(period)
            table.add_row(warning.uscc, f"{row['action']} {row['action_en']}",
                          f"{warning.previous_level or '–'} → {warning.risk_level}",
                          ", ".join(warning.triggers))
        console.print(table)
    console.print("stage seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in
                                                outcome.timings.items()))


def rescore_command(
    since: Annotated[dt.datetime, typer.Option(
        formats=["%Y-%m-%d"], help="Re-score enterprises with records collected after this "
                                   "date.")],
    as_of: Annotated[dt.datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Date to score at (default: today).")] = None,
    model: Annotated[str, typer.Option(help="Model URI.")] = CHAMPION_URI,
    profile: Annotated[str | None, typer.Option(help="Jurisdiction profile.")] = None,
    store: StoreOption = DEFAULT_STORE,
    database_url: DatabaseOption = None,
    tracking_uri: TrackingOption = DEFAULT_TRACKING_URI,
) -> None:
    """Re-score enterprises with new records between monthly runs and record warnings."""
    import mlflow

    from models.policy.profiles import profile as jurisdiction
    from serving.monthly.run import rescore_since

    opened = require_store(store)
    results = open_results(database_url)
    until = as_of.date() if as_of else dt.date.today()
    if since.date() >= until:
        raise fail(f"--since {since.date()} must be before the as-of date {until}")
    try:
        outcome = rescore_since(opened, results, since.date(), until, model, tracking_uri,
                                jurisdiction(profile))
    except mlflow.exceptions.MlflowException as error:
        raise fail(f"cannot load model {model}: {error.message}") from None
    except ValueError as error:
        raise fail(error) from None
    counts = ", ".join(f"{k} {v:,}" for k, v in outcome.analysis["warnings"].items())
    console.print(f"re-scored {outcome.analysis['rescored']:,} enterprises with records "
                  f"collected {since.date()} … {until} (run {outcome.run.run_id}); warnings: "
                  f"{len(outcome.warnings):,} ({counts})")


def history_command(
    uscc: Annotated[str, typer.Argument(help="Unified social credit code of the enterprise.")],
    database_url: DatabaseOption = None,
) -> None:
    """An enterprise's published classifications over time, with the versions behind each."""

    rows = open_results(database_url).history(uscc)
    if not rows:
        raise fail(f"{uscc}: no published classification in the results store")
    table = RichTable(title=f"{uscc}: published classifications")
    for column in ("period", "class", "final", "model", "rules fired", "top factors up",
                   "model / rules version"):
        table.add_column(column, overflow="fold")
    for row in rows:
        factors = ", ".join(f"{row[f'factor_up_{k}']} {row[f'points_up_{k}']:+.1f}"
                            for k in (1, 2, 3) if row[f"factor_up_{k}"])
        table.add_row(str(row["period"]), f"{row['class_label']} ({row['risk_level']})",
                      f"{row['final_score']:.2f}", f"{row['model_score']:.2f}",
                      row["fired_rules"].replace(";", ", ") or "–", factors or "–",
                      f"{row['model_version']} / {row['rules_version']}")
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

    rows = open_results(database_url).top_warnings(period.date(), limit)
    if ids_only:
        for row in rows:
            typer.echo(row["uscc"])
        return
    table = RichTable(title=f"Warnings, {period.date()} (most severe first)")
    for column in ("uscc", "action", "class", "triggers"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["uscc"], f"{row['action']} {row['action_en']}",
                      f"{row['previous_level'] or '–'} → {row['risk_level']}",
                      row["triggers"].replace(";", ", "))
    console.print(table)

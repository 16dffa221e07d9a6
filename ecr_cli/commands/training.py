"""Training commands: train, promote, runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from ecr_cli.common import (
    StoreOption,
    TrackingOption,
    console,
    errors,
    fail,
    require_store,
    settings,
    verbatim,
)
from ecr_settings import Settings
from features.label import DEFAULT_OUTCOMES, HORIZON_MONTHS, Outcome
from models.registry import EXPERIMENT

ExperimentOption = Annotated[str, typer.Option(help="MLflow experiment.")]
DEFAULT_TRAINING_SET = Path("data/training/training-set.parquet")


def train_command(
    table: Annotated[Path | None, typer.Option(
        help="Prepared feature table (CSV or Parquet). Default: build the training set from "
             "the store.")] = None,
    label: Annotated[str, typer.Option(help="0/1 outcome column.")] = "adverse",
    time_column: Annotated[str, typer.Option(
        help="Period column for the out-of-time split; one the table lacks is an error, "
             "except the default as_of, without which the split is stratified.")
    ] = "as_of",
    id_column: Annotated[list[str] | None, typer.Option(
        help="Identifier column, never a feature (repeatable).")] = None,
    exclude: Annotated[list[str] | None, typer.Option(
        help="Column not to use as a feature (repeatable).")] = None,
    trials: Annotated[int, typer.Option(min=0, help="Optuna trials (0: default parameters).")
                      ] = 0,
    timeout: Annotated[float | None, typer.Option(min=1, help="Tuning time budget, seconds.")
                       ] = None,
    test_periods: Annotated[int, typer.Option(min=1, help="Latest periods to test on.")] = 3,
    valid_periods: Annotated[int, typer.Option(
        min=1, help="Periods in each tuning fold's validation block; the latest block "
                    "also calibrates.")] = 3,
    folds: Annotated[int, typer.Option(
        min=1, help="Rolling-origin tuning folds (stratified folds without periods).")] = 3,
    train_periods: Annotated[int, typer.Option(
        min=0, help="Latest eligible periods to train on (0: all whose outcomes are "
                    "complete before the test periods).")] = 0,
    embargo: Annotated[int | None, typer.Option(
        min=0, help="Months between a training period and the rows it must not see. "
                    "Default: the outcome horizon.")] = None,
    class_probabilities: Annotated[str | None, typer.Option(
        help="Outcome probabilities scoring 200, 500, 750, e.g. 0.05,0.2,0.5 (the default)."
    )] = None,
    class_shares: Annotated[str | None, typer.Option(
        help="Instead: target class shares A,B,C,D on the latest test period.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for LightGBM, Optuna and splits.")] = 7,
    threads: Annotated[int | None, typer.Option(min=1, help="LightGBM threads.")] = None,
    baseline: Annotated[bool, typer.Option(
        help="Also fit the baselines (plain LightGBM, WOE scorecard) on the same rows.")
                        ] = True,
    register: Annotated[bool, typer.Option(help="Register the model in MLflow.")] = True,
    allow_degenerate: Annotated[bool, typer.Option(
        "--allow-degenerate", help="Register the model even when the guardrails find it "
                                   "degenerate.")] = False,
    run_name: Annotated[str | None, typer.Option(help="MLflow run name.")] = None,
    rules: Annotated[Path | None, typer.Option(
        help="Rules file to bundle with the model. Default: the shipped rules "
             "(none when the table lacks the features they read).")] = None,
    no_rules: Annotated[bool, typer.Option(
        "--no-rules", help="Bundle no rules: classes come from the model score alone.")] = False,
    first: Annotated[str | None, typer.Option(
        help="Store mode: earliest snapshot month (default: a year into the data).")] = None,
    outcome: Annotated[list[str] | None, typer.Option(
        help="Store mode: adverse outcome record_type[:outcome] (repeatable).")] = None,
    horizon: Annotated[int, typer.Option(min=1, help="Store mode: outcome window, months.")
                       ] = HORIZON_MONTHS,
    training_set: Annotated[Path, typer.Option(
        help="Store mode: where to write the training set.")] = DEFAULT_TRAINING_SET,
    store: StoreOption = None,
    tracking_uri: TrackingOption = None,
    experiment: ExperimentOption = EXPERIMENT,
) -> None:
    """Train the risk model (tuned, calibrated, mapped to 0–1000) and register it in MLflow.

    The last line printed is the MLflow run id and the model URI.
    """
    from serving.results.store import masked_url
    from training.class_policy import ClassPolicy
    from training.pipeline import TrainConfig, train
    from training.tracking import configure

    config = settings(store=store, tracking_uri=tracking_uri)
    try:
        policy = ClassPolicy.parse(class_probabilities, class_shares)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--class-probabilities/--class-shares"
                                 ) from None
    if table is None:
        embargo = horizon if embargo is None else embargo
        table = _build_training_set(config, training_set, first, outcome, horizon, test_periods,
                                    valid_periods, train_periods, embargo, folds)
    train_config = TrainConfig(
        table=table, label=label, time_column=time_column or None,
        id_columns=tuple(id_column or ("uscc",)), exclude=tuple(exclude or ()),
        test_periods=test_periods, valid_periods=valid_periods,
        folds=folds, train_periods=train_periods or None, embargo=embargo,
        trials=trials or None, timeout=timeout, seed=seed, threads=threads, policy=policy,
        baseline=baseline, register=register, allow_degenerate=allow_degenerate,
        run_name=run_name, rules=rules,
        use_rules=not no_rules,
    )
    configure(config.tracking_uri, experiment)
    console.print(verbatim(f"training on {table} (tracking {masked_url(config.tracking_uri)}, "
                           f"experiment {experiment})"))
    try:
        result = train(train_config, report=lambda line: console.print(verbatim(line)))
    except ValueError as error:  # table, label, split and feature errors name what is wrong
        raise fail(error) from None
    if result.degenerate and register and not allow_degenerate:
        console.print(verbatim(f"run {result.run_id} logged as {result.model_uri}"))
        errors.print(verbatim(f"error: degenerate model, not registered: "
                              f"{'; '.join(result.degenerate)} (--allow-degenerate registers it)"),
                     soft_wrap=True)
        raise typer.Exit(code=3)
    typer.echo(f"{result.run_id} {result.model_uri}")


def _build_training_set(
    config: Settings, out: Path, first: str | None, outcome: list[str] | None, horizon: int,
    test_periods: int, valid_periods: int, train_periods: int, embargo: int, folds: int,
) -> Path:
    from training.snapshots import build_from_store

    try:
        outcomes = tuple(Outcome.parse(o) for o in outcome) if outcome else DEFAULT_OUTCOMES
        first_date = dt.date.fromisoformat(first) if first else None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--outcome/--first") from None
    opened = require_store(config)
    console.print(f"building the training set from {config.store} (version "
                  f"{opened.version})")
    try:
        build_from_store(
            opened, out, first_date, test_periods, valid_periods, embargo,
            train_periods or None, outcomes, horizon, folds=folds,
            on_snapshot=lambda s: console.print(
                f"  {s.as_of}: {s.rows:,} enterprises, {s.adverse_rate:.2%} adverse"),
        )
    except ValueError as error:  # too little history for the split, or an empty store
        raise fail(error) from None
    return out


def promote_command(
    version: Annotated[str, typer.Argument(help="Registered model version to promote.")],
    alias: Annotated[str, typer.Option(help="Alias to move.")] = "champion",
    tracking_uri: TrackingOption = None,
) -> None:
    """Point the alias (default ``champion``) at a registered model version."""
    import mlflow

    from training.tracking import connect, promote

    try:
        connect(settings(tracking_uri=tracking_uri).tracking_uri)
        previous = promote(version, alias)
    except mlflow.exceptions.MlflowException as error:
        raise fail(f"cannot promote version {version!r}: {error.message}") from None
    except ValueError as error:  # no such tracking store
        raise fail(error) from None
    console.print(f"{alias}: version {previous or '(none)'} → {version}")


def runs_command(
    limit: Annotated[int, typer.Option(min=1, help="How many recent runs.")] = 10,
    tracking_uri: TrackingOption = None,
    experiment: ExperimentOption = EXPERIMENT,
) -> None:
    """Compare recent model runs: test metrics of boosters and baselines side by side."""
    from serving.results.store import masked_url
    from training.tracking import connect, recent_runs

    tracking_uri = settings(tracking_uri=tracking_uri).tracking_uri
    try:
        connect(tracking_uri)
    except ValueError as error:  # no such tracking store
        raise fail(error) from None
    runs = recent_runs(experiment, limit)
    if runs.empty:
        console.print(f"no model runs yet in experiment {experiment!r}; run `ecr train`")
        return
    runs["run"] = runs["run"].str[:8]
    if "vs" in runs:
        runs["vs"] = runs["vs"].str[:8]
    runs["model"] = runs["model"].replace({"woe_scorecard": "WOE", "lightgbm_default": "plain"})
    table = RichTable(title=f"Recent model runs, newest first ({masked_url(tracking_uri)})",
                      box=None,
                      pad_edge=False, padding=(0, 1, 0, 0), title_justify="left")
    for column in runs.columns:
        table.add_column(column, justify="right" if runs[column].dtype.kind == "f" else "left")
    for row in runs.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    console.print(table)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:.3f}"
    return "" if value is None else str(value)

"""Feature commands: point-in-time features, the catalog, training sets."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import pyarrow.parquet as pq
import typer
from rich.table import Table as RichTable

from ecr_cli.common import StoreOption, console, fail, parse_date, require_store, settings
from features.catalog import CATALOG, DIMENSION_NAMES
from features.label import DEFAULT_OUTCOMES, HORIZON_MONTHS, Outcome
from features.store import StoreError, writable


def features_command(
    as_of: Annotated[str | None, typer.Option(help="As-of date YYYY-MM-DD.")] = None,
    out: Annotated[Path | None, typer.Option(help="Parquet file for the feature table.")] = None,
    catalog: Annotated[bool, typer.Option("--catalog", help="Print the feature catalog.")] = False,
    store: StoreOption = None,
) -> None:
    """Compute one point-in-time feature vector per enterprise alive at --as-of."""
    if catalog:
        print_catalog()
        return
    if as_of is None:
        raise typer.BadParameter("expected a date YYYY-MM-DD (or --catalog)",
                                 param_hint="--as-of")
    from features.coverage import require_covered
    from features.engines import compute_features

    date = parse_date(as_of, "--as-of")
    opened = require_store(settings(store=store)).pinned()
    try:
        require_covered(opened, date)
    except ValueError as error:
        raise fail(error) from None
    started = time.perf_counter()
    table = compute_features(opened, date)
    elapsed = time.perf_counter() - started
    target = out or Path(f"data/features/features-{date}.parquet")
    try:
        with writable(target, "the features"):
            target.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, target, compression="zstd")
    except StoreError as error:
        raise fail(error) from None
    console.print(
        f"{table.num_rows:,} enterprises alive at {date} × {len(CATALOG)} features "
        f"in {elapsed:.1f} s (store {opened.version}) → {target}", markup=False
    )


def print_catalog() -> None:
    table = RichTable(title=f"Feature catalog ({len(CATALOG)} features)")
    for column in ("name", "中文名", "English", "dimension", "dir", "unit"):
        table.add_column(column)
    for f in CATALOG:
        table.add_row(f.name, f.zh, f.en, DIMENSION_NAMES[f.dimension][0],
                      f"{f.direction:+d}" if f.direction else "0", f.unit.value)
    console.print(table)


def training_set_command(
    first: Annotated[str, typer.Option(help="First snapshot month (any date in it).")],
    out: Annotated[Path, typer.Option(help="Parquet file to write.")],
    last: Annotated[
        str | None, typer.Option(help="Last snapshot date (default: as late as complete).")
    ] = None,
    outcome: Annotated[
        list[str] | None,
        typer.Option(help="Adverse outcome, repeatable: record_type[:outcome]. "
                          "Default: " + ", ".join(map(str, DEFAULT_OUTCOMES))),
    ] = None,
    horizon: Annotated[int, typer.Option(min=1, help="Outcome window in months.")] = (
        HORIZON_MONTHS
    ),
    store: StoreOption = None,
) -> None:
    """Stack monthly snapshots with labels, keeping only complete outcome windows."""
    from features.training_set import build_training_set, snapshot_dates

    try:
        outcomes = tuple(Outcome.parse(o) for o in outcome) if outcome else DEFAULT_OUTCOMES
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--outcome") from None
    opened = require_store(settings(store=store))
    dates = snapshot_dates(opened, parse_date(first, "--first"),
                           parse_date(last, "--last") if last else None, horizon)
    summary = RichTable(title=f"Training set → {out}")
    for column in ("as_of", "enterprises", "adverse", "rate"):
        summary.add_column(column, justify="right")
    try:
        snapshots = build_training_set(
            opened, out, dates, outcomes, horizon,
            on_snapshot=lambda s: console.print(
                f"  {s.as_of}: {s.rows:,} enterprises, {s.adverse_rate:.2%} adverse"
            ),
        )
    except ValueError as error:
        raise fail(error) from None
    for s in snapshots:
        summary.add_row(str(s.as_of), f"{s.rows:,}", f"{s.adverse:,}", f"{s.adverse_rate:.2%}")
    console.print(summary)
    console.print(f"outcomes: {', '.join(map(str, outcomes))}; horizon {horizon} months")

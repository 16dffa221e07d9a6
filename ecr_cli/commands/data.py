"""Data commands: synth, ingest, summary, contract."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table as RichTable
from rich.text import Text

from ecr_cli.common import StoreOption, console, fail, require_store, settings
from features.contract_doc import render
from features.ingest import IngestReport, ingest
from features.readers import InputError
from features.store import Store, StoreError


def synth_command(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the four tables to.")],
    enterprises: Annotated[int, typer.Option(min=1, help="Number of enterprises.")] = 20_000,
    months: Annotated[int, typer.Option(min=1, help="Months of history.")] = 48,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same files.")] = 7,
    dirty: Annotated[
        float, typer.Option(min=0.0, max=0.5, help="Fraction of realistically broken rows.")
    ] = 0.0,
    end_month: Annotated[str, typer.Option(help="Last month, YYYY-MM.")] = "2025-12",
    fmt: Annotated[str, typer.Option("--format", help="parquet, csv or jsonl.")] = "parquet",
    scenario: Annotated[str, typer.Option(
        help="Causal structure: default, network, interaction, drift or campaign "
             "(synthetic/scenarios.py).")] = "default",
) -> None:
    """Synthesise a province: enterprises, records, relations and inspections."""
    from synthetic import generate

    if fmt not in ("parquet", "csv", "jsonl"):
        raise typer.BadParameter(f"expected parquet, csv or jsonl, found {fmt!r}",
                                 param_hint="--format")
    try:
        summary = generate(out, enterprises=enterprises, months=months, seed=seed, dirty=dirty,
                           end_month=end_month, fmt=fmt, progress=True, scenario=scenario)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--scenario") from None
    table = RichTable(title=Text(f"Synthetic province in {out}"))
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("broken rows", justify="right")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}", f"{summary.dirty_rows.get(name, 0):,}")
    console.print(table)


def ingest_command(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to ingest.")],
    store: StoreOption = None,
    rejects: Annotated[
        Path | None, typer.Option(help="Rejects CSV (default: STORE/rejects/rejects-TIME.csv).")
    ] = None,
    full: Annotated[bool, typer.Option(
        "--full", help="Read and validate every file, even those whose content the store "
                       "already holds (by default they are skipped).")] = False,
) -> None:
    """Validate files against the data contract and publish accepted rows to the store.

    A file whose content was ingested before and still stands as stored is skipped without
    being read; --full reads everything."""
    try:
        report = ingest(paths, Store(settings(store=store).store), rejects_path=rejects,
                        full=full)
    except (InputError, StoreError) as error:
        raise fail(error) from None
    print_report(report)


def print_report(report: IngestReport) -> None:
    """Per-file and per-table counts, reconciled; paths and column names printed verbatim
    (never read as rich markup)."""
    files = RichTable(title="Input files")
    for column in ("file", "table", "rows", "accepted", "rejected", "read"):
        files.add_column(column, justify="right" if column in ("rows", "accepted",
                                                                "rejected") else "left")
    for f in report.files:
        read = f"skipped: unchanged since {f.recorded_in}" if f.skipped else "read"
        files.add_row(Text(str(f.path)), f.table, f"{f.rows:,}", f"{f.accepted:,}",
                      f"{f.rejected:,}", Text(read))
    console.print(files)
    tables = RichTable(title="Tables (rows read now)")
    for column in ("table", "input rows", "rejected", "inserted", "updated", "unchanged",
                   "skipped (rows)", "stored"):
        tables.add_column(column, justify="left" if column == "table" else "right")
    for name, c in report.tables.items():
        if c.rows or c.skipped_files:
            tables.add_row(name, f"{c.rows:,}", f"{c.rejected:,}", f"{c.inserted:,}",
                           f"{c.updated:,}", f"{c.unchanged:,}",
                           f"{c.skipped_files:,} ({c.skipped_rows:,})", f"{c.stored:,}")
    console.print(tables)
    for f in report.files:
        if f.note:
            console.print(f"note: {f.path}: {f.note}", markup=False)
    for f in report.files:
        if f.ignored_columns:
            console.print(f"note: {f.path}: ignored columns not in the contract: "
                          f"{', '.join(f.ignored_columns)}", markup=False)
    for skipped in report.skipped:
        console.print(f"note: skipped {skipped.path}: {skipped.reason}", markup=False,
                      soft_wrap=True)
    for name, count in report.orphans.items():
        if count:
            console.print(f"note: {count:,} {name} rows name an enterprise not in enterprises")
    if report.rejects_path:
        console.print(f"rejected rows with reasons: {report.rejects_path}", markup=False)
    state = "published" if report.published else "no change; still"
    console.print(f"store {state} at version {report.version}")


def contract_command() -> None:
    """Print the data contract as Markdown (the source of docs/data-contract.md)."""
    typer.echo(render(), nl=False)


def summary_command(store: StoreOption = None) -> None:
    """Summarise the store: tables, enterprises by status and prefecture, records by type."""
    from features.reference.record_types import COLLECTION_DEADLINES
    from features.summary import summarise

    config = settings(store=store)
    summary = summarise(require_store(config))
    period = f", records {summary.period[0]} … {summary.period[1]}" if summary.period else ""
    console.print(Text.assemble((f"Store {config.store} at version {summary.version}", "bold"),
                                period))
    console.print(", ".join(f"{n}: {rows:,}" for n, rows in summary.table_rows.items()))
    _print_frame(summary.enterprises_by_status, "Enterprises by status")
    _print_frame(summary.enterprises_by_prefecture, "Enterprises by prefecture")
    if summary.records_by_type.height:
        shown = summary.records_by_type.with_columns(
            (pl.col(f"late_over_{d}wd") * 100).round(1).alias(f"% over {d} working days")
            for d in COLLECTION_DEADLINES
        ).drop(f"late_over_{d}wd" for d in COLLECTION_DEADLINES)
        _print_frame(shown, "Records by type and collection delay")


def _print_frame(frame: pl.DataFrame, title: str) -> None:
    table = RichTable(title=title)
    for name, dtype in frame.schema.items():
        table.add_column(name, justify="right" if dtype.is_numeric() else "left")
    for row in frame.iter_rows():
        table.add_row(*(f"{v:,}" if isinstance(v, int) else Text(str(v)) for v in row))
    console.print(table)

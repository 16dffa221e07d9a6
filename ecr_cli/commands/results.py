"""Results database commands: retention (`ecr results prune`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table as RichTable

from ecr_cli.common import DatabaseOption, console, fail, open_results, settings


def prune_command(
    keep: Annotated[int | None, typer.Option(
        min=1, help="Published periods to keep, the newest. Default: "
                    "$ECR_RETENTION_PERIODS (unset: nothing is removed).")] = None,
    dry_run: Annotated[bool, typer.Option(
        help="Count what would be removed; change nothing.")] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Remove the published periods older than the newest N with their runs' results,
    feature snapshots, warnings, analysis, region cells, superseded runs and rescores; keep a
    period a draw was made from, disposed warnings and each removed period's run record."""
    from pydantic import ValidationError

    from serving.results.retention import COUNTED
    from serving.results.store import ResultsStoreError
    from serving.use_cases import InvalidRequest, prune_periods

    try:
        config = settings(database_url=database_url)
    except ValidationError as error:
        problem = error.errors()[0]
        raise fail(f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}, found "
                   f"{problem.get('input')!r}") from None
    chosen = keep if keep is not None else config.retention_periods
    if chosen is None:
        console.print("nothing to prune: no retention set (ECR_RETENTION_PERIODS or --keep)",
                      highlight=False)
        return
    try:
        pruning = prune_periods(open_results(config), chosen, dry_run=dry_run)
    except (InvalidRequest, ResultsStoreError) as error:
        raise fail(error) from None
    verb = "would remove" if dry_run else "removed"
    kept = ", ".join(str(p) for p in pruning.kept) or "none"
    console.print(f"keeping the newest {pruning.keep} published periods: {kept}",
                  highlight=False, soft_wrap=True)
    for period, reason in sorted(pruning.held.items()):
        console.print(f"kept {period}: {reason}", highlight=False, soft_wrap=True)
    if not pruning.removals:
        console.print("nothing to remove", highlight=False)
        return
    table = RichTable(title=f"{verb}: {len(pruning.removals)} periods")
    for column in ("period", "runs", *COUNTED, "warnings kept (disposed)"):
        table.add_column(column.replace("_", " "), justify="right")
    for removal in pruning.removals:
        label = f"{removal.period}{'' if removal.published else ' (unpublished)'}"
        table.add_row(label, str(len(removal.run_ids)),
                      *(f"{removal.counts[c]:,}" for c in COUNTED), f"{removal.warnings_kept:,}")
    table.add_row("total", str(sum(len(r.run_ids) for r in pruning.removals)),
                  *(f"{pruning.removed(c):,}" for c in COUNTED),
                  f"{sum(r.warnings_kept for r in pruning.removals):,}")
    console.print(table)
    for month, names in sorted(pruning.dropped.items()):
        console.print(f"{month:%Y-%m}: dropped partitions {', '.join(names)}", highlight=False,
                      soft_wrap=True)
    for what in COUNTED:
        after = pruning.before[what] - pruning.removed(what)
        if not dry_run and pruning.after[what] != after:
            raise fail(f"{what}: {pruning.before[what]:,} before − {pruning.removed(what):,} "
                       f"removed ≠ {pruning.after[what]:,} now")
        console.print(f"{what.replace('_', ' ')}: {pruning.before[what]:,} before, "
                      f"{pruning.removed(what):,} {verb}, {after:,} after", highlight=False)

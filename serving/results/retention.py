"""Retention: remove the published periods older than the newest N, with every run of theirs.

What goes, for each run dated before the oldest period kept: its results, feature snapshots,
warnings, analysis and region cells, and the run itself (superseded runs, rescores). What
stays, because traceability needs it:

- a period a draw was made from (``draws.period``, or any of its runs in ``draws.run_id``)
  is kept whole: `ecr draw verify` recomputes a draw's population from its run's results;
- a period with a run still ``writing`` is kept (a run is writing it now);
- warnings that have a disposition (处置 records are append-only and name their warning) stay,
  with their run's row in ``classification_runs``;
- the published run of a removed period keeps its one row in ``classification_runs``, status
  ``retired`` (period, model, rules, profile and data versions, row count), so an audit entry
  naming the period still leads to what was published; a run kept only for its disposed
  warnings is marked ``pruned``;
- the audit log is never touched (its hash chain stays whole).

On PostgreSQL a month whose runs all go has its ``results`` and ``feature_snapshots``
partitions detached and dropped (`serving.results.partitions.drop`) instead of deleted row by
row; elsewhere, and for a month that keeps a run, the rows are deleted by (run, period) key.
Each month is removed in its own transaction: its publications disappear with their rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from serving.results import partitions
from serving.results.schema import (
    draws,
    feature_snapshots,
    period_analysis,
    publications,
    region_risk,
    results,
    runs,
    warning_dispositions,
    warnings,
)

COUNTED = ("results", "feature_rows", "warnings", "region_cells", "analyses")
"""What is counted per period, in the report's order (feature_rows: enterprises whose
feature snapshot is removed)."""


@dataclass
class Removal:
    """One period's runs that go (or would go, in a dry run), and what they hold."""

    period: dt.date
    published: bool
    run_ids: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    warnings_kept: int = 0
    """Warnings staying because they have a disposition."""


@dataclass
class Pruning:
    keep: int
    kept: list[dt.date]
    """The published periods kept by the setting (the newest ``keep``)."""
    removals: list[Removal]
    held: dict[dt.date, str]
    """Older periods kept anyway, with the reason."""
    before: dict[str, int]
    """Rows in the database before (every period)."""
    after: dict[str, int]
    """Rows after (equal to ``before`` in a dry run)."""
    dry_run: bool
    dropped: dict[dt.date, list[str]] = field(default_factory=dict)
    """PostgreSQL partitions dropped, by month (the other months' rows were deleted)."""

    def removed(self, what: str) -> int:
        return sum(r.counts.get(what, 0) for r in self.removals)


def plan(connection: sa.Connection, keep: int) -> Pruning:
    """Which periods go and which stay, counted, without changing anything."""
    published = list(connection.execute(
        sa.select(publications.c.period, publications.c.run_id)
        .order_by(publications.c.period.desc())))
    kept = sorted(p.period for p in published[:keep])
    totals = _totals(connection)
    if len(published) <= keep:
        return Pruning(keep, kept, [], {}, totals, totals, True)
    cutoff = kept[0]
    publication = {p.period: p.run_id for p in published}
    older: dict[dt.date, list[sa.Row]] = defaultdict(list)
    for run in connection.execute(sa.select(runs.c.run_id, runs.c.period, runs.c.status)
                                  .where(runs.c.period < cutoff,
                                         runs.c.status.notin_(("retired", "pruned")))
                                  .order_by(runs.c.period, runs.c.started_at)):
        older[run.period].append(run)
    drawn = _drawn(connection, cutoff)
    held: dict[dt.date, str] = {}
    removals = []
    for period, period_runs in sorted(older.items()):
        ids = [r.run_id for r in period_runs]
        if period in drawn or drawn & set(ids):
            held[period] = "a draw was made from it (ecr draw verify reads its results)"
        elif any(r.status == "writing" for r in period_runs):
            held[period] = "a run is writing it"
        else:
            removal = Removal(period, period in publication, ids)
            removal.counts, removal.warnings_kept = _counts(connection, period, ids)
            removals.append(removal)
    return Pruning(keep, kept, removals, held, totals, totals, True)


def apply(engine: sa.Engine, pruning: Pruning) -> Pruning:
    """Remove what ``pruning`` found, a month per transaction; the totals after."""
    by_month: dict[dt.date, list[Removal]] = defaultdict(list)
    for removal in pruning.removals:
        by_month[partitions.month_of(removal.period)].append(removal)
    for month, removals in sorted(by_month.items()):
        with engine.begin() as connection:
            dropped = _remove_month(connection, month, removals)
        if dropped:
            pruning.dropped[month] = dropped
    with engine.connect() as connection:
        pruning.after = _totals(connection)
    pruning.dry_run = False
    return pruning


def _remove_month(connection: sa.Connection, month: dt.date, removals: list[Removal]
                  ) -> list[str]:
    """Remove the month's runs of ``removals``; the partitions dropped (when all go)."""
    going = {run_id for r in removals for run_id in r.run_ids}
    periods = [r.period for r in removals]
    in_month = set(connection.execute(sa.select(runs.c.run_id).where(
        runs.c.period >= month, runs.c.period < partitions.next_month(month),
        runs.c.status.notin_(("retired", "pruned")))).scalars())
    drop = partitions.is_partitioned(connection) and in_month <= going
    connection.execute(publications.delete().where(publications.c.period.in_(periods)))
    ids = sorted(going)
    keyed = [(results, results.c.period), (feature_snapshots, feature_snapshots.c.period)]
    dropped = partitions.drop(connection, month) if drop else []
    if not drop:
        for table, period in keyed:
            connection.execute(table.delete().where(table.c.run_id.in_(ids),
                                                    period.in_(periods)))
    for table in (region_risk, period_analysis):
        connection.execute(table.delete().where(table.c.run_id.in_(ids)))
    connection.execute(warnings.delete().where(warnings.c.run_id.in_(ids), ~_disposed()))
    still_needed = set(connection.execute(sa.select(warnings.c.run_id).distinct().where(
        warnings.c.run_id.in_(ids))).scalars())
    published = set(connection.execute(sa.select(runs.c.run_id).where(
        runs.c.run_id.in_(ids), runs.c.status == "published")).scalars())
    connection.execute(runs.update().where(runs.c.run_id.in_(published)).values(
        status="retired"))
    connection.execute(runs.update().where(runs.c.run_id.in_(still_needed - published))
                       .values(status="pruned"))
    connection.execute(runs.delete().where(runs.c.run_id.in_(going - published
                                                             - still_needed)))
    return dropped


def _disposed() -> sa.ColumnElement[bool]:
    """The warning has a disposition (`warning_dispositions` names it)."""
    return sa.exists().where(warning_dispositions.c.period == warnings.c.period,
                             warning_dispositions.c.uscc == warnings.c.uscc,
                             warning_dispositions.c.run_id == warnings.c.run_id)


def _drawn(connection: sa.Connection, cutoff: dt.date) -> set:
    """Periods before ``cutoff`` and runs that a draw was made from."""
    found = connection.execute(sa.select(draws.c.period, draws.c.run_id).join(
        runs, runs.c.run_id == draws.c.run_id).where(
        sa.or_(draws.c.period < cutoff, runs.c.period < cutoff))).all()
    return {d.period for d in found} | {d.run_id for d in found}


def _counts(connection: sa.Connection, period: dt.date, ids: list[str]
            ) -> tuple[dict[str, int], int]:
    """What the runs of ``period`` hold, and how many of their warnings stay (disposed)."""
    def count(table: sa.Table, *where: sa.ColumnElement[bool],
              what: sa.ColumnElement[int] | None = None) -> int:
        query = sa.select(sa.func.coalesce(what if what is not None else sa.func.count(), 0)
                          ).select_from(table).where(table.c.run_id.in_(ids), *where)
        return int(connection.execute(query).scalar_one())

    counts = {
        "results": count(results, results.c.period == period),
        "feature_rows": count(feature_snapshots, feature_snapshots.c.period == period,
                              what=sa.func.sum(feature_snapshots.c.rows)),
        "warnings": count(warnings, ~_disposed()),
        "region_cells": count(region_risk),
        "analyses": count(period_analysis),
    }
    return counts, count(warnings, _disposed())


def _totals(connection: sa.Connection) -> dict[str, int]:
    """Rows of every period in the database, by what `COUNTED` names."""
    def total(query: sa.Select) -> int:
        return int(connection.execute(query).scalar_one() or 0)

    return {
        "results": total(sa.select(sa.func.count()).select_from(results)),
        "feature_rows": total(sa.select(sa.func.sum(feature_snapshots.c.rows))),
        "warnings": total(sa.select(sa.func.count()).select_from(warnings)),
        "region_cells": total(sa.select(sa.func.count()).select_from(region_risk)),
        "analyses": total(sa.select(sa.func.count()).select_from(period_analysis)),
    }

"""Stack monthly snapshots with their labels into one training table.

Snapshots are taken at month ends; a snapshot is kept only when its whole outcome window lies
inside the data (plus the collection grace), so no label is cut short.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from features.engines import duckdb_backend, feature_table, load_tables
from features.label import (
    COLLECTION_GRACE_DAYS,
    DEFAULT_OUTCOMES,
    HORIZON_MONTHS,
    Outcome,
    label_table,
    labelled,
    window_complete,
)
from features.store import Store


@dataclass(frozen=True)
class Snapshot:
    as_of: dt.date
    rows: int
    adverse: int

    @property
    def adverse_rate(self) -> float:
        return self.adverse / self.rows if self.rows else float("nan")


def month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month end from ``first``'s month up to ``last`` (inclusive)."""
    ends = []
    year, month = first.year, first.month
    while (end := dt.date(year, month, calendar.monthrange(year, month)[1])) <= last:
        ends.append(end)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends


def _records_date(store: Store, aggregate: str) -> dt.date:
    with store.connect() as connection:
        value = connection.execute(f"SELECT {aggregate} FROM records").fetchone()[0]
    if value is None:
        raise ValueError(f"{store.root}: the store holds no records")
    return value


def data_end(store: Store) -> dt.date:
    """The last collection date in the store: how far the data reaches."""
    return _records_date(store, "max(collected_on)")


def data_start(store: Store) -> dt.date:
    """The earliest date a record was formed: where the history starts."""
    return _records_date(store, "min(occurred_on)")


def snapshot_dates(
    store: Store, first: dt.date, last: dt.date | None = None,
    horizon_months: int = HORIZON_MONTHS, grace_days: int = COLLECTION_GRACE_DAYS,
) -> list[dt.date]:
    """Month ends in [first, last] whose outcome window is complete."""
    end = data_end(store)
    candidates = month_ends(first, last or end)
    return [d for d in candidates if window_complete(d, end, horizon_months, grace_days)]


def training_set_metadata(
    store: Store, as_of_dates: list[dt.date], outcomes: tuple[Outcome, ...], horizon_months: int
) -> dict[str, str]:
    """Parquet metadata that says where a training set came from and what its label means."""
    return {
        "ecr.store": str(store.root),
        "ecr.store_version": str(store.version),
        "ecr.horizon_months": str(horizon_months),
        "ecr.outcomes": ",".join(map(str, outcomes)),
        "ecr.snapshots": ",".join(map(str, as_of_dates)),
    }


def build_training_set(
    store: Store,
    out: Path,
    as_of_dates: list[dt.date],
    outcomes: tuple[Outcome, ...] = DEFAULT_OUTCOMES,
    horizon_months: int = HORIZON_MONTHS,
    backend: Any | None = None,
    on_snapshot: Callable[[Snapshot], None] | None = None,
) -> list[Snapshot]:
    """Write the stacked snapshots to ``out`` (Parquet) and return what each contributed."""
    if not as_of_dates:
        raise ValueError("no snapshot has a complete outcome window; extend the data or "
                         "choose earlier as-of dates")
    backend = backend or duckdb_backend()
    tables = load_tables(backend, store)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    snapshots: list[Snapshot] = []
    writer: pq.ParquetWriter | None = None
    try:
        for as_of in as_of_dates:
            batch = _snapshot(backend, tables, as_of, outcomes, horizon_months)
            if writer is None:
                schema = batch.schema.with_metadata(training_set_metadata(
                    store, as_of_dates, outcomes, horizon_months))
                writer = pq.ParquetWriter(partial, schema, compression="zstd")
            writer.write_table(batch.cast(writer.schema))
            snapshot = Snapshot(as_of, batch.num_rows, int(pa.compute.sum(batch["adverse"])
                                                           .as_py() or 0))
            snapshots.append(snapshot)
            if on_snapshot:
                on_snapshot(snapshot)
    finally:
        if writer is not None:
            writer.close()
    partial.replace(out)
    return snapshots


def _snapshot(backend: Any, tables: dict[str, Any], as_of: dt.date,
              outcomes: tuple[Outcome, ...], horizon_months: int) -> pa.Table:
    """The features at ``as_of`` sorted by uscc (`features.engines.feature_table`), with
    their label set beside them."""
    labels = label_table(tables["records"], as_of, outcomes, horizon_months).to_pyarrow()
    return labelled(feature_table(backend, tables, as_of), labels)

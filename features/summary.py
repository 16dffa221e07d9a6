"""A summary of what the store holds: tables, enterprises by region, records by type, lateness."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from features.reference.divisions import division_names
from features.reference.record_types import BY_CODE, COLLECTION_DEADLINES
from features.store import Store


@dataclass(frozen=True)
class StoreSummary:
    version: str | None
    table_rows: dict[str, int]
    enterprises_by_status: pl.DataFrame
    enterprises_by_prefecture: pl.DataFrame
    records_by_type: pl.DataFrame
    """record_type, 中文, records, then the share collected later than each deadline."""
    period: tuple[str, str] | None


def working_days_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Working days (Mon–Fri) from ``start`` to ``end``; public holidays are not modelled."""
    return np.busday_count(start.astype("datetime64[D]"), end.astype("datetime64[D]"))


def summarise(store: Store) -> StoreSummary:
    """Summarise the published version of ``store``."""
    connection = store.connect()
    manifest = store.manifest()
    table_rows = {name: info["rows"] for name, info in manifest.get("tables", {}).items()}
    empty = pl.DataFrame()
    by_status = by_prefecture = by_type = empty
    period = None
    if store.table_path("enterprises") is not None:
        by_status = _frame(connection, "SELECT status, count(*) AS enterprises FROM enterprises "
                                       "GROUP BY status ORDER BY enterprises DESC")
        prefecture = (
            "CASE WHEN substr(region_code, 3, 2) = '90' THEN region_code "
            "ELSE substr(region_code, 1, 4) || '00' END"
        )
        by_prefecture = _frame(
            connection,
            f"SELECT {prefecture} AS prefecture, count(*) AS enterprises, "
            "count(*) FILTER (WHERE status = 'operating') AS operating "
            "FROM enterprises GROUP BY 1 ORDER BY enterprises DESC",
        )
        names = division_names()
        by_prefecture = by_prefecture.with_columns(
            pl.col("prefecture").replace_strict(names, default="?").alias("name")
        )
    if store.table_path("records") is not None:
        by_type = _records_by_type(connection)
        low, high = connection.execute(
            "SELECT min(occurred_on)::VARCHAR, max(collected_on)::VARCHAR FROM records"
        ).fetchone()
        period = (low, high)
    connection.close()
    return StoreSummary(store.version, table_rows, by_status, by_prefecture, by_type, period)


def _records_by_type(connection) -> pl.DataFrame:
    """Counts per type and the share collected after each deadline, in working days."""
    pairs = _frame(
        connection,
        "SELECT record_type, occurred_on, collected_on, count(*) AS n FROM records "
        "GROUP BY ALL",
    )
    delay = working_days_between(pairs.get_column("occurred_on").to_numpy(),
                                 pairs.get_column("collected_on").to_numpy())
    pairs = pairs.with_columns(pl.Series("delay", delay))
    late = [
        ((pl.col("delay") > days).cast(pl.Int64) * pl.col("n")).sum().alias(f"late_{days}")
        for days in COLLECTION_DEADLINES
    ]
    grouped = pairs.group_by("record_type").agg(pl.col("n").sum().alias("records"), *late)
    return grouped.select(
        "record_type",
        pl.col("record_type").replace_strict(
            {code: rt.zh for code, rt in BY_CODE.items()}, default="?"
        ).alias("zh"),
        "records",
        *[
            (pl.col(f"late_{d}") / pl.col("records")).alias(f"late_over_{d}wd")
            for d in COLLECTION_DEADLINES
        ],
    ).sort("records", descending=True)


def _frame(connection, sql: str) -> pl.DataFrame:
    frame = pl.from_arrow(connection.execute(sql).arrow())
    assert isinstance(frame, pl.DataFrame)
    return frame

"""Regional and industry risk (区域性、行业性): aggregates by prefecture × industry section."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pyarrow as pa

from serving.results.rows import RegionalRisk

KEYS = ["prefecture", "industry_section"]


def regional_risk(current: pa.Table, previous: pa.Table | None,
                  period: dt.date) -> list[RegionalRisk]:
    """Per prefecture × industry section: enterprises, share in C or D, mean final score and
    its change against the previous period's same cell (None when the cell is new)."""
    now = _aggregate(current)
    if previous is not None and previous.num_rows:
        before = _aggregate(previous).select(*KEYS, pl.col("mean_score").alias("before"))
        now = now.join(before, on=KEYS, how="left").with_columns(
            mean_score_change=pl.col("mean_score") - pl.col("before")).drop("before")
    else:
        now = now.with_columns(mean_score_change=pl.lit(None, pl.Float64))
    return [RegionalRisk(period=period, **row) for row in now.sort(KEYS).to_dicts()]


def _aggregate(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table.select([*KEYS, "risk_level", "final_score"]))
    assert isinstance(frame, pl.DataFrame)
    return frame.with_columns(pl.col(KEYS).fill_null("")).group_by(KEYS).agg(
        enterprises=pl.len(),
        share_c_or_d=pl.col("risk_level").is_in(["C", "D"]).mean(),
        mean_score=pl.col("final_score").mean(),
    )

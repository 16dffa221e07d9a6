"""Region and industry risk (区域性、行业性): period cells of region × industry section at two
levels, ``prefecture`` and ``county``.

Each cell holds its enterprises, the share of them in class C or D, the mean final score, and
both against the previous period's same cell (None when the cell is new). Enterprises
registered at a prefecture or provincial bureau have no county: they count at prefecture
level only (their prefecture, or ``""`` when unknown).

The high-risk rule (`is_high_risk`): a cell is high-risk when it has at least `MIN_CELL`
enterprises (fewer are too noisy to single out) and its C/D share is above zero and either

- at least `SHARE_RATIO` (2) times the C/D share of the whole period, or
- up by at least `SHARE_RISE` (0.05, i.e. 5 percentage points) against the previous period.

Bounds are inclusive, compared with a tolerance of `TOLERANCE` for floating error.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pyarrow as pa

from serving.results.rows import RegionRisk

LEVELS = ("prefecture", "county")
"""The region levels of the cells; each is a column of the results."""
MIN_CELL = 30
"""Fewest enterprises a cell needs to be flagged high-risk."""
SHARE_RATIO = 2.0
"""A cell's C/D share at least this many times the period's is high-risk."""
SHARE_RISE = 0.05
"""A rise of the cell's C/D share of at least this (5 percentage points) is high-risk."""
TOLERANCE = 1e-9
HIGH_RISK_RULE = (
    f"at least {MIN_CELL} enterprises and a C/D share above zero that is at least "
    f"{SHARE_RATIO:g} times the period's C/D share, or that rose by at least "
    f"{SHARE_RISE * 100:g} percentage points against the previous period")
"""The rule in words, as the service returns it beside the cells."""


def is_high_risk(enterprises: int, share_c_or_d: float, period_share_c_or_d: float,
                 share_c_or_d_change: float | None) -> bool:
    """The high-risk rule of the module docstring for one cell."""
    if enterprises < MIN_CELL or share_c_or_d <= 0:
        return False
    concentrated = share_c_or_d >= SHARE_RATIO * period_share_c_or_d - TOLERANCE
    rising = (share_c_or_d_change is not None
              and share_c_or_d_change >= SHARE_RISE - TOLERANCE)
    return concentrated or rising


def region_risk(current: pa.Table, previous: pa.Table | None,
                period: dt.date) -> list[RegionRisk]:
    """Every cell of ``current`` at both levels (prefecture cells first), in key order."""
    period_share = _period_share(current)
    cells = []
    for level in LEVELS:
        now = _aggregate(current, level)
        if previous is not None and previous.num_rows and level in previous.column_names:
            before = _aggregate(previous, level).select(
                "region", "industry_section", pl.col("share_c_or_d").alias("share_before"),
                pl.col("mean_score").alias("score_before"))
            now = now.join(before, on=["region", "industry_section"], how="left")
        else:
            now = now.with_columns(share_before=pl.lit(None, pl.Float64),
                                   score_before=pl.lit(None, pl.Float64))
        now = now.with_columns(
            share_c_or_d_change=pl.col("share_c_or_d") - pl.col("share_before"),
            mean_score_change=pl.col("mean_score") - pl.col("score_before"),
        ).drop("share_before", "score_before")
        for row in now.sort("region", "industry_section").to_dicts():
            cells.append(RegionRisk(
                period=period, level=level, **row,
                high_risk=is_high_risk(row["enterprises"], row["share_c_or_d"], period_share,
                                       row["share_c_or_d_change"])))
    return cells


def _period_share(table: pa.Table) -> float:
    levels = table["risk_level"].to_pylist()
    return sum(level in ("C", "D") for level in levels) / len(levels) if levels else 0.0


def _aggregate(table: pa.Table, level: str) -> pl.DataFrame:
    frame = pl.from_arrow(table.select([level, "industry_section", "risk_level",
                                        "final_score"]))
    assert isinstance(frame, pl.DataFrame)
    frame = frame.rename({level: "region"}).cast(
        {"region": pl.Utf8, "industry_section": pl.Utf8, "risk_level": pl.Utf8,
         "final_score": pl.Float64}).with_columns(pl.col("industry_section").fill_null(""))
    frame = (frame.filter(pl.col("region").is_not_null()) if level == "county"
             else frame.with_columns(pl.col("region").fill_null("")))
    return frame.group_by("region", "industry_section").agg(
        enterprises=pl.len(),
        share_c_or_d=pl.col("risk_level").is_in(["C", "D"]).mean(),
        mean_score=pl.col("final_score").mean(),
    )

"""Assemble the feature table at one as-of date from the four input tables."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import ibis
import ibis.expr.types as ir

from features.catalog import CATALOG, ZERO_WHEN_ABSENT, Unit
from features.engineering.generic import event_rows
from features.engineering.pit import AsOf, alive_enterprises
from features.engineering.records import record_features as records_part
from features.engineering.related import (
    enterprise_flags,
    investment_features,
    person_link_features,
)

KEY_COLUMNS = ("uscc", "as_of")


def basic_features(enterprises: ir.Table, as_of: AsOf) -> ir.Table:
    alive = alive_enterprises(enterprises, as_of)
    code = alive.region_code
    prefecture = ibis.cases(
        (code.substr(2, 2) == "90", code), else_=code.substr(0, 4) + "00"
    )
    tags = alive.domain_tags
    return alive.select(
        "uscc",
        age_years=as_of.literal.delta(alive.established_on, unit="day").cast("float64") / 365.25,
        registered_capital=alive.registered_capital,
        enterprise_type=alive.enterprise_type,
        industry_section=alive.industry_code.substr(0, 1),
        industry_division=alive.industry_code.substr(0, 3),
        prefecture=prefecture,
        domain_tag_count=tags.length().fill_null(0),
        tag_food=tags.contains("food").fill_null(False),
        tag_drug=tags.contains("drug").fill_null(False),
        tag_special_equipment=tags.contains("special_equipment").fill_null(False),
    )


def inspection_features(inspections: ir.Table, as_of: AsOf) -> ir.Table:
    window = inspections.filter(
        inspections.inspected_on <= as_of.date,
        inspections.inspected_on > as_of.months_back(36),
    )
    return window.group_by("uscc").aggregate(draws_36m=window.draw_id.count())


def record_features(records: ir.Table, as_of: dt.date, events: ir.Table | None = None
                    ) -> ir.Table:
    """Per enterprise: every feature aggregated from records (``events``: `event_rows` at
    ``as_of``, materialised)."""
    return records_part(records, AsOf(as_of), events)


def assemble(
    enterprises: ir.Table,
    record_part: ir.Table,
    relations: ir.Table,
    inspections: ir.Table,
    as_of: dt.date,
) -> ir.Table:
    """One row per enterprise alive at ``as_of``: uscc, as_of and every catalog feature.

    ``record_part`` is `record_features` at the same date; it is read three times (directly
    and through the related-party flags), so engines should materialise it first.
    """
    point = AsOf(as_of)
    flags = enterprise_flags(enterprises, record_part, point)
    parts = [
        record_part,
        person_link_features(relations, flags, point),
        investment_features(relations, flags, point),
        inspection_features(inspections, point),
    ]
    table = basic_features(enterprises, point)
    for part in parts:
        table = table.left_join(part, "uscc").drop("uscc_right")
    return table.select(
        "uscc",
        as_of=ibis.date(as_of),
        **{feature.name: finalise(table[feature.name], feature.unit) for feature in CATALOG},
    )


@contextlib.contextmanager
def features_at(tables: dict[str, ir.Table], as_of: dt.date) -> Iterator[ir.Table]:
    """The feature table with the record aggregates materialised once on the engine
    (``Table.cache``: a temporary table on DuckDB, a persisted DataFrame on Spark).

    The narrow event rows the generic pass reads once per record type are materialised first
    and released as soon as the record aggregates are."""
    events = event_rows(tables["records"], AsOf(as_of)).cache()
    try:
        cached = record_features(tables["records"], as_of, events).cache()
    finally:
        events.release()
    try:
        yield assemble(tables["enterprises"], cached, tables["relations"],
                       tables["inspections"], as_of)
    finally:
        cached.release()


def finalise(column: ir.Value, unit: Unit) -> ir.Value:
    """Give every unit one stable type, and fill zeros where absence means none."""
    if unit is Unit.CATEGORY:
        return column.cast("string")
    integer = (Unit.COUNT, Unit.FLAG, Unit.DAYS, Unit.WORKING_DAYS, Unit.GRADE)
    typed = column.cast("int64" if unit in integer else "float64")
    return typed.fill_null(0) if unit in ZERO_WHEN_ABSENT else typed

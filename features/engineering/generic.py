"""Generic record features: the same five numbers for every record type and every outcome of
a type, so the model can learn from any record without knowing in advance which ones matter.

For each *event* — a record type, or a record type with one outcome
(``spot_check:problem_found``) — at the as-of date: the number of visible records that
occurred in the last 3, 12 and 36 months, the days since the latest one, and an exponentially
decayed count (each record weighs 2^(−age / 12 months)). Names are ``ev_{type}`` or
``ev_{type}__{outcome}`` followed by ``_3m``, ``_12m``, ``_36m``, ``_days_since`` and
``_decayed``; their catalog entries (`features.catalog.GENERIC`) are unconstrained.

The same pass counts the adverse records of the default label (`features.label`) in 12 and
36 months, which the related-party features aggregate over the persons behind an enterprise.
"""

from __future__ import annotations

import math

import ibis
import ibis.expr.types as ir

from features.catalog import EVENTS, HALF_LIFE_DAYS, WINDOWS, event_column
from features.engineering.pit import AsOf, visible_records, working_days
from features.outcomes import DEFAULT_OUTCOMES
from features.reference.record_types import RECORD_TYPES

TYPE_CODES = {t.code: i for i, t in enumerate(RECORD_TYPES, start=1)}
"""A small integer per record type, so the event rows kept between passes stay narrow."""
OUTCOME_CODES = {(t.code, o): i for t in RECORD_TYPES for i, o in enumerate(t.outcomes, 1)}
"""A small integer per outcome within its record type (0: none or not in the reference)."""


def _matches(r: ir.Table, record_type: str, outcome: str | None) -> ir.BooleanColumn:
    same = r.record_type == record_type
    return same & (r.outcome == outcome) if outcome else same


def event_rows(records: ir.Table, as_of: AsOf) -> ir.Table:
    """One narrow row per visible record: what the generic features and the broad pass
    (`features.engineering.records.broad_aggregates`) read of it.

    Engines should materialise it (`features.engineering.build.features_at` does): the
    generic pass reads it once per record type."""
    v = visible_records(records, as_of)
    outcome = ibis.cases(
        *[(_matches(v, t, o), code) for (t, o), code in OUTCOME_CODES.items()], else_=0
    )
    return v.select(
        "uscc",
        type_code=v.record_type.substitute(TYPE_CODES, else_=0).cast("int8"),
        outcome_code=outcome.cast("int8"),
        days_ago=as_of.literal.delta(v.occurred_on, unit="day").cast("int32"),
        adverse=ibis.or_(*[_matches(v, o.record_type, o.outcome) for o in DEFAULT_OUTCOMES]),
        delay=working_days(v.occurred_on, v.collected_on).cast("int32"),
        **{f"in_{w}m": v.occurred_on > as_of.months_back(w) for w in WINDOWS},
    )


def generic_aggregates(records: ir.Table, as_of: AsOf,
                       events: ir.Table | None = None) -> ir.Table:
    """Per enterprise with any visible record: every generic event feature.

    One aggregation per record type over that type's rows only, joined by enterprise: a single
    aggregation of every event over every row (265 filtered aggregates) cost DuckDB time in
    proportion to rows × aggregates, 20 times the work (a quarter of an hour at 1,000,000
    enterprises). ``events`` is `event_rows` at the same date, materialised by the caller."""
    e = event_rows(records, as_of) if events is None else events
    table = adverse_counts(e)
    for part in type_aggregates(e):
        table = table.left_join(part, "uscc").drop("uscc_right")
    names = [f"{event_column(t, o)}_{suffix}" for t, o in EVENTS
             for suffix in (*(f"{w}m" for w in WINDOWS), "days_since", "decayed")]
    return table.select("uscc", *names, "_adverse_12m", "_adverse_36m")


def adverse_counts(e: ir.Table, key: str = "uscc") -> ir.Table:
    """Per enterprise with any visible record: its adverse records (the default label's) in 12
    and 36 months (``e``: `event_rows`, whose enterprise column is ``key``); every enterprise
    of the generic pass is here."""
    return e.group_by(key).aggregate(
        _adverse_12m=e.count(where=e.adverse & e.in_12m),
        _adverse_36m=e.count(where=e.adverse & e.in_36m),
    )


def type_aggregates(e: ir.Table, key: str = "uscc") -> list[ir.Table]:
    """One table per record type: the generic features of the type and its outcomes, per
    enterprise with a visible record of that type (``e``: `event_rows`, whose enterprise
    column is ``key``)."""
    return [_type_aggregates(e, t.code, t.outcomes, key) for t in RECORD_TYPES]


def _type_aggregates(e: ir.Table, record_type: str, outcomes: tuple[str, ...],
                     key: str = "uscc") -> ir.Table:
    """The five numbers of the type and of each of its outcomes, from its rows only."""
    rows = e.filter(e.type_code == TYPE_CODES[record_type])
    r = rows.mutate(
        weight=(rows.days_ago.cast("float64") * (-math.log(2) / HALF_LIFE_DAYS)).exp()
    )
    out: dict[str, ir.Scalar] = {}
    for outcome in (None, *outcomes):
        stem = event_column(record_type, outcome)
        hit = None if outcome is None else r.outcome_code == OUTCOME_CODES[record_type, outcome]
        for w in WINDOWS:
            window = r[f"in_{w}m"]
            out[f"{stem}_{w}m"] = r.count(where=window if hit is None else hit & window)
        out[f"{stem}_days_since"] = r.days_ago.min(where=hit)
        out[f"{stem}_decayed"] = r.weight.sum(where=hit)
    return r.group_by(key).aggregate(**out)

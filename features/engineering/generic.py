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
from features.engineering.pit import AsOf, visible_records
from features.outcomes import DEFAULT_OUTCOMES


def _matches(r: ir.Table, record_type: str, outcome: str | None) -> ir.BooleanColumn:
    same = r.record_type == record_type
    return same & (r.outcome == outcome) if outcome else same


def generic_aggregates(records: ir.Table, as_of: AsOf) -> ir.Table:
    """Per enterprise with any visible record: every generic event feature."""
    v = visible_records(records, as_of)
    days_ago = as_of.literal.delta(v.occurred_on, unit="day")
    adverse = ibis.or_(*[_matches(v, o.record_type, o.outcome) for o in DEFAULT_OUTCOMES])
    r = v.select(
        "uscc",
        days_ago=days_ago,
        weight=(days_ago.cast("float64") * (-math.log(2) / HALF_LIFE_DAYS)).exp(),
        adverse=adverse,
        **{f"in_{w}m": v.occurred_on > as_of.months_back(w) for w in WINDOWS},
        **{f"is_{event_column(t, o)}": _matches(v, t, o) for t, o in EVENTS},
    )
    out: dict[str, ir.Scalar] = {}
    for record_type, outcome in EVENTS:
        stem = event_column(record_type, outcome)
        hit = r[f"is_{stem}"]
        for w in WINDOWS:
            out[f"{stem}_{w}m"] = r.count(where=hit & r[f"in_{w}m"])
        out[f"{stem}_days_since"] = r.days_ago.min(where=hit)
        out[f"{stem}_decayed"] = r.weight.sum(where=hit)
    out["_adverse_12m"] = r.count(where=r.adverse & r.in_12m)
    out["_adverse_36m"] = r.count(where=r.adverse & r.in_36m)
    return r.group_by("uscc").aggregate(**out)

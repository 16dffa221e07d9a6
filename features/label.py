"""The label: does an adverse outcome happen in the months after the as-of date?

An outcome is a record type, optionally narrowed to one outcome value
(``spot_check:problem_found``). It counts when it occurred in (as_of, as_of + horizon] and was
never revoked: labels are built with hindsight, and a record withdrawn after a dispute (异议)
was not an adverse outcome.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from features.engineering.pit import AsOf
from features.outcomes import DEFAULT_OUTCOMES, Outcome

__all__ = ["DEFAULT_OUTCOMES", "HORIZON_MONTHS", "Outcome", "label_table",
           "labelled", "outcome_window", "window_complete"]

HORIZON_MONTHS = 12
COLLECTION_GRACE_DAYS = 28
"""20 working days, the longest collection deadline in the seeds: a window is only complete
when records formed at its end have had time to arrive."""


def outcome_window(as_of: dt.date, horizon_months: int = HORIZON_MONTHS) -> tuple[dt.date, dt.date]:
    """(exclusive start, inclusive end) of the outcome window."""
    return as_of, AsOf(as_of).months_ahead(horizon_months)


def window_complete(as_of: dt.date, data_end: dt.date, horizon_months: int = HORIZON_MONTHS,
                    grace_days: int = COLLECTION_GRACE_DAYS) -> bool:
    """True when every outcome of the window has had time to be collected by ``data_end``."""
    _, end = outcome_window(as_of, horizon_months)
    return end + dt.timedelta(days=grace_days) <= data_end


def label_table(
    records: ir.Table,
    as_of: dt.date,
    outcomes: tuple[Outcome, ...] = DEFAULT_OUTCOMES,
    horizon_months: int = HORIZON_MONTHS,
) -> ir.Table:
    """uscc → adverse (1 when any outcome happened in the window) and the first such date."""
    start, end = outcome_window(as_of, horizon_months)
    matches = ibis.or_(*[
        (records.record_type == o.record_type)
        & ((records.outcome == o.outcome) if o.outcome else ibis.literal(True))
        for o in outcomes
    ])
    adverse = records.filter(
        records.occurred_on > start, records.occurred_on <= end, records.revoked_on.isnull(),
        matches,
    )
    return adverse.group_by("uscc").aggregate(first_adverse_on=adverse.occurred_on.min())


def labelled(features: pa.Table, labels: pa.Table) -> pa.Table:
    """The feature table with ``adverse`` (0/1) and ``first_adverse_on`` (null when none)
    from `label_table`'s rows."""
    first = labels["first_adverse_on"].take(
        pc.index_in(features["uscc"], value_set=labels["uscc"]))
    return (features.append_column("adverse", pc.is_valid(first).cast(pa.int8()))
            .append_column("first_adverse_on", first))

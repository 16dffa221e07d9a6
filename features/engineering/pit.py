"""Point-in-time rules shared by every feature definition.

At an as-of date D:
- a record counts only if it was collected on or before D and not revoked by D
  (a revoked record, withdrawn after a dispute, counts in no feature from its revocation on);
- a list entry is current while neither removed nor repaired by D;
- a penalty counts as dishonesty while not credit-repaired by D (it still counts as a penalty);
- an enterprise is alive at D when established on or before D and not closed by D;
- a role (relation) is current when started on or before D and not ended by D.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class AsOf:
    """An as-of date and the start of each look-back window (exclusive)."""

    date: dt.date

    def months_back(self, months: int) -> dt.date:
        return shift_months(self.date, -months)

    def months_ahead(self, months: int) -> dt.date:
        return shift_months(self.date, months)

    @property
    def literal(self) -> ir.DateScalar:
        return ibis.date(self.date)


def shift_months(date: dt.date, months: int) -> dt.date:
    """Move by whole months; a month end lands on a month end (2023-02-28 + 12 = 2024-02-29),
    other days clip to the target month's length (2024-01-30 + 1 = 2024-02-29)."""
    shifted = date + relativedelta(months=months)
    if (date + dt.timedelta(days=1)).day == 1:
        return dt.date(shifted.year, shifted.month, calendar.monthrange(shifted.year,
                                                                      shifted.month)[1])
    return shifted


def not_after(column: ir.DateColumn, date: dt.date) -> ir.BooleanColumn:
    """True when the (nullable) date is set and on or before ``date``."""
    return column.notnull() & (column <= date)


def visible_records(records: ir.Table, as_of: AsOf) -> ir.Table:
    """Records the platform knew about at the as-of date and that still stood."""
    return records.filter(
        records.collected_on <= as_of.date,
        records.occurred_on <= as_of.date,
        ~not_after(records.revoked_on, as_of.date),
    )


def alive_enterprises(enterprises: ir.Table, as_of: AsOf) -> ir.Table:
    return enterprises.filter(
        enterprises.established_on <= as_of.date,
        ~not_after(enterprises.deregistered_on, as_of.date),
    )


def current_relations(relations: ir.Table, as_of: AsOf) -> ir.Table:
    return relations.filter(
        relations.started_on <= as_of.date, ~not_after(relations.ended_on, as_of.date)
    )


def working_days(start: ir.DateValue, end: ir.DateValue) -> ir.IntegerValue:
    """Monday–Friday days in [start, end), like ``numpy.busday_count``, from built-in ops.

    Whole weeks give 5 each; the remaining r days start on weekday s (Mon=0) and contain
    max(0, min(s+r, 5) − s) weekdays before the weekend plus max(0, min(s+r−7, 5)) after it.
    """
    days = end.delta(start, unit="day")
    s = start.day_of_week.index()
    r = days % 7
    before = ibis.greatest(ibis.least(s + r, 5) - s, 0)
    after = ibis.greatest(ibis.least(s + r - 7, 5), 0)
    return (days // 7) * 5 + before + after

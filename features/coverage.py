"""The dates a store's data covers, and the one guard on an as-of date.

A date after the last record was collected asks about a future the store knows nothing of; a
date before the first record was formed asks about a past it holds nothing of. Both are
refused, by every command that computes features at a date (classify, rescore, explain,
features), before any work is done.
"""

from __future__ import annotations

import datetime as dt

from features.store import Store
from features.training_set import data_end, data_start


class DateOutsideData(ValueError):
    """An as-of date outside the span of the store's records; the message names the option."""


def require_covered(store: Store, when: dt.date, option: str = "--as-of") -> dt.date:
    """``when`` if the store's records cover it, else `DateOutsideData` naming ``option``."""
    return check_covered(store, when, data_start(store), data_end(store), option)


def check_covered(store: Store, when: dt.date, start: dt.date, end: dt.date,
                  option: str = "--as-of") -> dt.date:
    """`require_covered` with the store's span already known (a reader that holds it)."""
    if start <= when <= end:
        return when
    side = "after the store's data ends" if when > end else "before the store's data starts"
    raise DateOutsideData(f"{option} {when} is {side}: store {store.root} (version "
                          f"{store.version}) covers {start} … {end}")

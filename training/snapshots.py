"""Build the training set straight from the store, computing only the snapshots the split uses.

The protocol is planned on the candidate month ends first (the same function that later
splits the rows), so months no part of it reads are never computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from dateutil.relativedelta import relativedelta

from features.label import DEFAULT_OUTCOMES, HORIZON_MONTHS, Outcome
from features.store import Store
from features.training_set import Snapshot, build_training_set, data_start, snapshot_dates
from training.protocol import snapshot_plan

HISTORY_MONTHS = 12
"""Default first snapshot: a year after the data starts, so 12-month windows are full."""


def planned_snapshots(
    store: Store, first: dt.date | None, test_periods: int, valid_periods: int,
    embargo: int, train_periods: int | None, horizon_months: int = HORIZON_MONTHS,
    folds: int = 3,
) -> list[dt.date]:
    """The month ends the out-of-time protocol will use, oldest first."""
    start = first or data_start(store) + relativedelta(months=HISTORY_MONTHS - 1)
    candidates = snapshot_dates(store, start, None, horizon_months)
    return snapshot_plan(candidates, test_periods, valid_periods, embargo, folds,
                         train_periods)


def build_from_store(
    store: Store, out: Path, first: dt.date | None, test_periods: int, valid_periods: int,
    embargo: int, train_periods: int | None, outcomes: tuple[Outcome, ...] = DEFAULT_OUTCOMES,
    horizon_months: int = HORIZON_MONTHS, on_snapshot: Callable[[Snapshot], None] | None = None,
    folds: int = 3,
) -> list[Snapshot]:
    dates = planned_snapshots(store, first, test_periods, valid_periods, embargo,
                              train_periods, horizon_months, folds)
    return build_training_set(store, out, dates, outcomes, horizon_months,
                              on_snapshot=on_snapshot)

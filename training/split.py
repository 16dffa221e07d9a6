"""Train / validation / test splits: out-of-time when the table has periods, else stratified.

Out of time: the latest periods test, the periods before them validate (early stopping,
tuning, calibration), and training takes only periods whose outcome window closes before the
first validation period (the embargo), so no training label can see an outcome that a
validation or test row is labelled with. Nothing is ever shuffled across time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from dateutil.relativedelta import relativedelta
from sklearn.model_selection import train_test_split


class SplitError(ValueError):
    """The table cannot be split as asked; the message says what is short."""


@dataclass(frozen=True)
class Split:
    """Row indices of each part, and the periods each part covers (empty when stratified)."""

    train: npt.NDArray[np.int64]
    valid: npt.NDArray[np.int64]
    test: npt.NDArray[np.int64]
    kind: str
    train_periods: tuple[object, ...] = ()
    valid_periods: tuple[object, ...] = ()
    test_periods: tuple[object, ...] = ()
    embargo: int = 0

    def describe(self) -> dict[str, object]:
        def span(periods: tuple[object, ...]) -> str:
            return f"{periods[0]} … {periods[-1]}" if periods else "-"

        rows = {"split": self.kind, "train_rows": len(self.train),
                "valid_rows": len(self.valid), "test_rows": len(self.test)}
        if self.kind == "stratified":
            return rows
        return rows | {"train_periods": span(self.train_periods),
                       "valid_periods": span(self.valid_periods),
                       "test_periods": span(self.test_periods), "embargo": self.embargo}


def _step_back(period: object, steps: int, periods: list[object]) -> object:
    """``period`` moved back by ``steps`` months (dates) or positions in ``periods``."""
    if isinstance(period, dt.datetime | dt.date):
        return period - relativedelta(months=steps)
    index = periods.index(period)
    return periods[index - steps] if index - steps >= 0 else None


def out_of_time_split(
    periods: pa.ChunkedArray | pa.Array, test_periods: int, valid_periods: int, embargo: int,
    train_periods: int | None = None,
) -> Split:
    """Split rows by their period; ``embargo`` is in months for dates, else in periods.

    Training takes the latest ``train_periods`` eligible periods (all when None or 0).
    """
    if periods.null_count:
        raise SplitError(f"the time column has {periods.null_count} missing values")
    distinct = sorted(pc.unique(periods).to_pylist())
    needed = test_periods + valid_periods + 1
    if len(distinct) < needed:
        raise SplitError(
            f"out-of-time split: expected at least {needed} periods ({test_periods} test, "
            f"{valid_periods} validation, 1+ train), found {len(distinct)}"
        )
    test = distinct[-test_periods:]
    valid = distinct[-(test_periods + valid_periods):-test_periods]
    latest_train = _step_back(valid[0], embargo, distinct) if embargo else None
    earlier = distinct[:-(test_periods + valid_periods)]
    train = [p for p in earlier if latest_train is None or p <= latest_train]
    if train_periods:
        train = train[-train_periods:]
    if not train:
        raise SplitError(
            f"out-of-time split: no period is at least {embargo} before the first validation "
            f"period {valid[0]} (periods {distinct[0]} … {distinct[-1]}); lower --embargo or "
            "add earlier snapshots"
        )
    def rows(part: list[object]) -> npt.NDArray[np.int64]:
        mask = pc.is_in(periods, value_set=pa.array(part, type=periods.type))
        return np.flatnonzero(np.asarray(mask)).astype(np.int64)

    return Split(rows(train), rows(valid), rows(test), "out-of-time", tuple(train),
                 tuple(valid), tuple(test), embargo)


def stratified_split(
    outcome: npt.ArrayLike, valid_share: float, test_share: float, seed: int
) -> Split:
    """A seeded split that keeps the outcome rate equal in every part."""
    y = np.asarray(outcome)
    index = np.arange(len(y), dtype=np.int64)
    rest, test = train_test_split(index, test_size=test_share, stratify=y, random_state=seed)
    train, valid = train_test_split(rest, test_size=valid_share / (1 - test_share),
                                    stratify=y[rest], random_state=seed)
    return Split(np.sort(train), np.sort(valid), np.sort(test), "stratified")

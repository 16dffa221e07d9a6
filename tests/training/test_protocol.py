"""Splits: out-of-time never lets a later period into training; stratified keeps the rate."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from dateutil.relativedelta import relativedelta
from training.split import SplitError, out_of_time_split, stratified_split

MONTH_ENDS = [dt.date(2023, 1, 31) + relativedelta(months=i, day=31) for i in range(24)]


def periods(repeat: int = 5) -> pa.Array:
    rng = np.random.default_rng(0)
    values = np.repeat(np.array(MONTH_ENDS, dtype=object), repeat)
    return pa.array(rng.permutation(values), pa.date32())


@pytest.mark.parametrize("embargo", [0, 1, 6, 12])
def test_no_later_period_reaches_training(embargo: int) -> None:
    column = periods()
    split = out_of_time_split(column, test_periods=3, valid_periods=3, embargo=embargo)
    values = np.array(column.to_pylist(), dtype=object)
    train, valid, test = values[split.train], values[split.valid], values[split.test]
    assert train.max() + relativedelta(months=embargo) <= valid.min()
    assert valid.max() < test.min()
    assert sorted(set(test)) == MONTH_ENDS[-3:]
    assert len(split.train) + len(split.valid) + len(split.test) <= len(values)
    assert not set(split.train) & set(split.valid) | set(split.valid) & set(split.test)


def test_all_rows_used_without_embargo() -> None:
    split = out_of_time_split(periods(), 3, 3, 0)
    assert len(split.train) + len(split.valid) + len(split.test) == 24 * 5


def test_train_periods_keeps_the_latest_eligible() -> None:
    split = out_of_time_split(periods(), 3, 3, 12, train_periods=4)
    assert split.train_periods == tuple(MONTH_ENDS[3:7])


def test_integer_periods_embargo_in_periods() -> None:
    split = out_of_time_split(pa.array([2019, 2020, 2021, 2022, 2023, 2024]), 1, 1, 2)
    assert split.train_periods == (2019, 2020, 2021)  # 2021 + 2 ≤ 2023


def test_too_short_history_is_explained() -> None:
    with pytest.raises(SplitError, match="no period is at least 24 before"):
        out_of_time_split(periods(), 3, 3, 24)
    with pytest.raises(SplitError, match="expected at least 7 periods"):
        out_of_time_split(pa.array(MONTH_ENDS[:6], pa.date32()), 3, 3, 0)


def test_stratified_split_keeps_the_outcome_rate() -> None:
    y = (np.random.default_rng(1).random(10_000) < 0.1).astype(int)
    split = stratified_split(y, 0.2, 0.2, seed=3)
    rates = [y[part].mean() for part in (split.train, split.valid, split.test)]
    assert max(rates) - min(rates) < 0.002
    assert sorted(np.concatenate([split.train, split.valid, split.test]).tolist()) == list(
        range(10_000))

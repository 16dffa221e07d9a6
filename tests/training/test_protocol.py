"""The protocol: no fold, nor the final model, ever trains on a later month (or one whose
outcome window reaches into the rows it is judged on); stratified keeps the rate."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from dateutil.relativedelta import relativedelta

from training.cross_validation import average_out_of_fold
from training.protocol import (
    MAX_REPEATS,
    SplitError,
    out_of_time_protocol,
    stratified_protocol,
    stratified_repeats,
)

MONTH_ENDS = [dt.date(2023, 1, 31) + relativedelta(months=i, day=31) for i in range(30)]


def periods(repeat: int = 5) -> pa.Array:
    rng = np.random.default_rng(0)
    values = np.repeat(np.array(MONTH_ENDS, dtype=object), repeat)
    return pa.array(rng.permutation(values), pa.date32())


@pytest.mark.parametrize("embargo", [0, 1, 6, 12])
@pytest.mark.parametrize("folds", [1, 3, 5])
def test_no_fold_and_no_final_model_sees_a_later_month(embargo: int, folds: int) -> None:
    column = periods()
    plan = out_of_time_protocol(column, test_periods=3, valid_periods=3, embargo=embargo,
                                folds=folds)
    values = np.array(column.to_pylist(), dtype=object)
    test = values[plan.test]
    assert sorted(set(test)) == MONTH_ENDS[-3:]
    assert values[plan.final_train].max() + relativedelta(months=embargo) <= test.min()
    assert 1 <= len(plan.folds) <= folds
    for fold in plan.folds:
        train, valid = values[fold.train], values[fold.valid]
        assert train.max() + relativedelta(months=embargo) <= valid.min()
        assert valid.max() < test.min()
        assert not set(fold.train) & set(plan.test) and not set(fold.valid) & set(plan.test)
    blocks = [sorted(set(values[f.valid])) for f in plan.folds]
    assert blocks == sorted(blocks) and blocks[-1][-1] == MONTH_ENDS[-4]  # rolling, latest last
    assert np.array_equal(plan.calibration, plan.folds[-1].valid)
    assert plan.calibration_from_folds == bool(set(plan.calibration) & set(plan.final_train))
    # the final model never trains on the calibration block (its outcomes reach the test)
    if embargo >= 3:
        assert not set(plan.final_train) & set(plan.calibration)


def test_the_final_model_takes_every_month_complete_before_the_test() -> None:
    plan = out_of_time_protocol(periods(), 3, 3, 12, 3)
    assert plan.final_periods == tuple(MONTH_ENDS[:-3 - 12 + 1][:len(plan.final_periods)])
    assert plan.final_periods[-1] + relativedelta(months=12) <= MONTH_ENDS[-3]
    assert plan.final_periods[-1] + relativedelta(months=13) > MONTH_ENDS[-3]


def test_train_periods_keeps_the_latest_eligible() -> None:
    plan = out_of_time_protocol(periods(), 3, 3, 12, 2, train_periods=4)
    assert len(plan.final_periods) == 4
    assert all(len(f.train_periods) <= 4 for f in plan.folds)


def test_integer_periods_use_positions() -> None:
    plan = out_of_time_protocol(pa.array(list(range(2010, 2025))), 1, 1, 2, 2)
    assert plan.test_periods == (2024,)
    assert plan.final_periods[-1] == 2022  # 2022 + 2 ≤ 2024
    assert [f.valid_periods for f in plan.folds] == [(2022,), (2023,)]
    assert plan.folds[-1].train_periods[-1] == 2021


def test_too_little_history_is_named() -> None:
    with pytest.raises(SplitError, match="no tuning fold"):
        out_of_time_protocol(periods(), 3, 3, 26, 3)
    with pytest.raises(SplitError, match="expected at least 7 periods"):
        out_of_time_protocol(pa.array(MONTH_ENDS[:6], pa.date32()), 3, 3, 0, 3)


def test_stratified_protocol_keeps_the_outcome_rate_and_covers_the_rest() -> None:
    y = (np.random.default_rng(1).random(5000) < 0.1).astype(int)
    plan = stratified_protocol(y, 0.2, 5, seed=3)
    assert abs(y[plan.test].mean() - y.mean()) < 0.01
    assert not set(plan.test) & set(plan.final_train)
    covered = np.sort(np.concatenate([f.valid for f in plan.folds]))
    assert np.array_equal(covered, plan.final_train)
    assert plan.calibration_from_folds


def test_small_tables_repeat_the_stratified_folds_and_average_out_of_fold() -> None:
    y = (np.random.default_rng(2).random(400) < 0.3).astype(int)
    plan = stratified_protocol(y, 0.2, 3, seed=3)
    repeats = stratified_repeats(len(plan.final_train))
    assert repeats == MAX_REPEATS and len(plan.folds) == 3 * repeats
    for fold in plan.folds:
        assert not set(fold.train) & set(fold.valid)
        assert not set(fold.train) & set(plan.test)
    seen = np.bincount(np.concatenate([f.valid for f in plan.folds]), minlength=len(y))
    assert set(seen[plan.final_train]) == {repeats} and not seen[plan.test].any()
    scores = [np.full(len(f.valid), float(i % 2)) for i, f in enumerate(plan.folds)]
    averaged = average_out_of_fold(plan.folds, scores, len(y))
    assert np.isnan(averaged[plan.test]).all()
    assert ((averaged[plan.final_train] >= 0) & (averaged[plan.final_train] <= 1)).all()
    assert stratified_repeats(100_000) == 1

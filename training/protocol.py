"""The training protocol: which rows tune, which calibrate, which train the final model, which
test — robust to drift between months.

Out of time (the table has periods; ``embargo`` = the outcome horizon in months):

- **test**: the latest ``test_periods`` periods;
- **final training**: every period whose outcome window closes before the first test period
  (``p ≤ test_start − embargo``), or its latest ``train_periods``;
- **tuning folds** (rolling origin): ``folds`` validation blocks of ``valid_periods``
  periods, the latest ending just before the test periods and each earlier one
  ``valid_periods`` before it; each fold trains on the periods whose outcome window closes
  before its block starts (``p ≤ block_start − embargo``). Hyperparameters and the number of
  boosting rounds are chosen on the folds' *average* validation curve, not on one distant
  window;
- **calibration**: the latest block, scored by the final model, which never trains on it when
  the embargo is at least the block's length (its outcomes are not complete before the test
  months); with a shorter embargo the block is scored out of fold by the latest fold's model.

Stratified (no periods): the test rows are a stratified share; the rest is split into
``folds`` stratified folds, repeated with fresh shuffles on small tables (`stratified_repeats`:
on a few hundred rows one split's validation loss is mostly noise, and tuning would chase it);
the final model trains on all of it, and the calibrator is fitted on the folds' out-of-fold
scores (averaged over the repeats).

No fold ever trains on a period at or after its own validation block, nor on a period whose
outcome window reaches into it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from dateutil.relativedelta import relativedelta
from sklearn.model_selection import RepeatedStratifiedKFold, train_test_split

Rows = npt.NDArray[np.int64]


class SplitError(ValueError):
    """The table cannot be split as asked; the message says what is short."""


@dataclass(frozen=True)
class Fold:
    train: Rows
    valid: Rows
    train_periods: tuple[object, ...] = ()
    valid_periods: tuple[object, ...] = ()


@dataclass(frozen=True)
class Protocol:
    kind: str
    """``out-of-time`` or ``stratified``."""
    final_train: Rows
    test: Rows
    folds: tuple[Fold, ...]
    calibration: Rows
    """Rows the calibrator is fitted on (out-of-time: the latest fold's block)."""
    final_periods: tuple[object, ...] = ()
    test_periods: tuple[object, ...] = ()
    embargo: int = 0

    @property
    def calibration_from_folds(self) -> bool:
        """True when the calibration rows must be scored out of fold: stratified, or when the
        final model trains on the calibration block (an embargo shorter than the block)."""
        return self.kind == "stratified" or bool(
            np.intersect1d(self.calibration, self.final_train).size)

    def describe(self) -> dict[str, object]:
        """What MLflow and the command print: rows and periods of every part."""

        def span(periods: tuple[object, ...]) -> str:
            return f"{periods[0]} … {periods[-1]}" if periods else "-"

        out: dict[str, object] = {
            "kind": self.kind, "final_train_rows": len(self.final_train),
            "test_rows": len(self.test), "folds": len(self.folds),
            "calibration_rows": len(self.calibration)}
        if self.kind == "stratified":
            return out
        out |= {"final_train_periods": span(self.final_periods),
                "test_periods": span(self.test_periods), "embargo": self.embargo}
        for i, fold in enumerate(self.folds, 1):
            out[f"fold_{i}"] = (f"train {span(fold.train_periods)}, "
                                f"valid {span(fold.valid_periods)}")
        return out


def _back(period: object, steps: int, periods: list[object]) -> object | None:
    """``period`` moved back by ``steps`` months (dates) or positions in ``periods``."""
    if isinstance(period, dt.datetime | dt.date):
        return period - relativedelta(months=steps)
    index = periods.index(period)
    return periods[index - steps] if index - steps >= 0 else None


def _eligible(periods: list[object], before: object, embargo: int,
              every: list[object]) -> list[object]:
    """Of ``periods``, those whose outcome window closes before ``before`` starts (``every``:
    all periods, for steps counted in positions)."""
    latest = _back(before, embargo, every) if embargo else None
    if embargo and latest is None:
        return []
    return [p for p in periods if p < before and (latest is None or p <= latest)]


def out_of_time_protocol(
    periods: pa.ChunkedArray | pa.Array, test_periods: int, valid_periods: int,
    embargo: int, folds: int, train_periods: int | None = None,
) -> Protocol:
    """Plan the rows of every part from each row's period (see the module docstring)."""
    if periods.null_count:
        raise SplitError(f"the time column has {periods.null_count} missing values")
    distinct = sorted(pc.unique(periods).to_pylist())
    if len(distinct) < test_periods + valid_periods + 1:
        raise SplitError(
            f"out-of-time protocol: expected at least {test_periods + valid_periods + 1} "
            f"periods ({test_periods} test, {valid_periods} validation, 1+ train), found "
            f"{len(distinct)}")
    test = distinct[-test_periods:]
    earlier = distinct[:-test_periods]
    final = _eligible(earlier, test[0], embargo, distinct)
    if train_periods:
        final = final[-train_periods:]
    if not final:
        raise SplitError(
            f"out-of-time protocol: no period is at least {embargo} before the first test "
            f"period {test[0]} (periods {distinct[0]} … {distinct[-1]}); lower --embargo or "
            "add earlier snapshots")
    planned: list[tuple[list[object], list[object]]] = []
    for k in range(folds):
        end = len(earlier) - k * valid_periods
        block = earlier[max(0, end - valid_periods):end]
        if len(block) < valid_periods:
            break
        train = _eligible(earlier, block[0], embargo, distinct)
        if train_periods:
            train = train[-train_periods:]
        if not train:
            break
        planned.append((train, block))
    if not planned:
        raise SplitError(
            f"out-of-time protocol: no tuning fold has a training period at least {embargo} "
            f"before its {valid_periods}-period validation block (periods {distinct[0]} … "
            f"{distinct[-1]}, test from {test[0]}); lower --embargo or --valid-periods, or add "
            "earlier snapshots")
    planned.reverse()  # oldest fold first

    def rows(part: list[object]) -> Rows:
        mask = pc.is_in(periods, value_set=pa.array(part, type=periods.type))
        return np.flatnonzero(np.asarray(mask)).astype(np.int64)

    built = tuple(Fold(rows(t), rows(v), tuple(t), tuple(v)) for t, v in planned)
    return Protocol("out-of-time", rows(final), rows(test), built, built[-1].valid,
                    tuple(final), tuple(test), embargo)


REPEATED_ROWS = 3000
"""Stratified folds are repeated until about this many validation rows are seen (≤ 5 times)."""
MAX_REPEATS = 5


def stratified_repeats(rows: int) -> int:
    """How many times to repeat the stratified folds over ``rows`` tuning rows."""
    return int(np.clip(np.ceil(REPEATED_ROWS / max(rows, 1)), 1, MAX_REPEATS))


def stratified_protocol(outcome: npt.ArrayLike, test_share: float, folds: int,
                        seed: int) -> Protocol:
    """Seeded stratified test rows and tuning folds over the rest (repeated on small
    tables)."""
    y = np.asarray(outcome)
    index = np.arange(len(y), dtype=np.int64)
    minority = int(min(y.sum(), len(y) - y.sum()))
    if minority < 2 * folds:
        raise SplitError(f"stratified protocol: {minority} rows of the rarer outcome; "
                         f"expected at least {2 * folds} for {folds} folds and a test part")
    rest, test = train_test_split(index, test_size=test_share, stratify=y, random_state=seed)
    rest = np.sort(rest)
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=stratified_repeats(len(rest)),
                                       random_state=seed)
    built = tuple(Fold(np.sort(rest[a]).astype(np.int64), np.sort(rest[b]).astype(np.int64))
                  for a, b in splitter.split(rest, y[rest]))
    return Protocol("stratified", rest.astype(np.int64), np.sort(test).astype(np.int64),
                    built, rest.astype(np.int64))


def snapshot_plan(candidates: list[dt.date], test_periods: int, valid_periods: int,
                  embargo: int, folds: int, train_periods: int | None) -> list[dt.date]:
    """The month ends the protocol will read, oldest first (to build only those snapshots)."""
    plan = out_of_time_protocol(pa.array(candidates, pa.date32()), test_periods, valid_periods,
                                embargo, folds, train_periods)
    used = {*plan.final_periods, *plan.test_periods}
    for fold in plan.folds:
        used |= {*fold.train_periods, *fold.valid_periods}
    return sorted(used)  # type: ignore[type-var]

"""Choose and fit the calibrator on held-out rows.

The strictly increasing calibrators (`models.calibration.CALIBRATORS`: Platt, beta,
interpolated isotonic) are compared by cross-validated log loss on the calibration rows (folds
by period when there are periods, so a fold never sees its own month), then the winner is
refitted on all of them. Choosing on the rows a method was fitted on would always favour
isotonic, which can memorise them. A method that cannot be fitted increasing on some fold
(a non-positive slope) is out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.metrics import log_loss
from sklearn.model_selection import GroupKFold, StratifiedKFold

from models.calibration import CALIBRATORS, CalibrationError, Calibrator

FOLDS = 5


@dataclass(frozen=True)
class CalibrationChoice:
    calibrator: Calibrator
    cv_log_loss: dict[str, float]


def choose_calibrator(
    raw_logit: npt.ArrayLike, outcome: npt.ArrayLike, groups: npt.ArrayLike | None, seed: int,
) -> CalibrationChoice:
    """The calibration method with the lower out-of-fold log loss, refitted on all rows."""
    z = np.asarray(raw_logit, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.int64)
    if groups is not None and len(np.unique(groups)) >= 2:
        folds = GroupKFold(n_splits=min(FOLDS, len(np.unique(groups)))).split(z, y, groups)
    else:
        folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(z, y)
    folds = list(folds)
    losses = {}
    for method, calibrator_type in CALIBRATORS.items():
        out_of_fold = np.empty_like(z)
        try:
            for fit_rows, held_rows in folds:
                calibrator = calibrator_type.fit(z[fit_rows], y[fit_rows])
                out_of_fold[held_rows] = calibrator.probability(z[held_rows])
        except CalibrationError:
            continue
        losses[method] = float(log_loss(y, np.clip(out_of_fold, 1e-12, 1 - 1e-12),
                                        labels=[0, 1]))
    for method in sorted(losses, key=losses.__getitem__):
        try:
            return CalibrationChoice(CALIBRATORS[method].fit(z, y), losses)
        except CalibrationError:
            continue
    raise CalibrationError("calibration: no strictly increasing calibrator fits the "
                           "calibration rows: the model's scores do not rank the outcome")

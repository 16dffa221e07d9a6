"""Metrics against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from training.metrics import (
    class_order_holds,
    class_table,
    evaluate,
    expected_calibration_error,
    ks_statistic,
)


def test_ks_of_perfect_and_useless_scores() -> None:
    y = np.array([0, 0, 1, 1])
    assert ks_statistic(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert ks_statistic(y, [0.5, 0.5, 0.5, 0.5]) == 0.0


def test_ece_by_hand() -> None:
    # two equal-count bins: predicted 0.1 with 1 of 2 outcomes, 0.6 with 2 of 2
    y = [0, 1, 1, 1]
    p = [0.1, 0.1, 0.6, 0.6]
    assert expected_calibration_error(y, p, bins=2) == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)


def test_class_table_keeps_empty_classes_and_checks_order() -> None:
    table = class_table([0, 1, 0, 1, 1], ["A", "B", "A", "D", "D"])
    assert table["enterprises"].tolist() == [2, 1, 0, 2]
    assert not class_order_holds(table)
    full = class_table([0, 0, 1, 0, 1, 1, 1, 1], list("AABBCCDD"))
    assert full["outcome_rate"].tolist() == [0.0, 0.5, 1.0, 1.0]
    assert not class_order_holds(full)


def test_evaluate_reports_ranking_and_calibration() -> None:
    metrics = evaluate([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], ["A", "B", "B", "D"])
    assert metrics["roc_auc"] == pytest.approx(0.75)
    assert metrics["gini"] == pytest.approx(0.5)
    assert metrics["share_C"] == 0.0 and "outcome_rate_C" not in metrics

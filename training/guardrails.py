"""Guardrails: a degenerate model is reported loudly and not registered unless asked.

A model is degenerate when any of these holds:

- it has fewer than `MIN_TREES` trees (the folds found nothing to learn);
- its tuning folds' average validation ROC AUC is below `MIN_VALID_AUC`;
- its test ROC AUC is below the plain LightGBM baseline's on the same rows.
"""

from __future__ import annotations

import math

MIN_TREES = 20
MIN_VALID_AUC = 0.55


def degenerate_reasons(trees: int, valid_auc: float, test_auc: float,
                       plain_test_auc: float | None) -> list[str]:
    """Why the model is degenerate (empty when it is not)."""
    reasons = []
    if trees < MIN_TREES:
        reasons.append(f"{trees} trees (fewer than {MIN_TREES})")
    if math.isnan(valid_auc) or valid_auc < MIN_VALID_AUC:
        reasons.append(f"validation ROC AUC {valid_auc:.4f} (below {MIN_VALID_AUC})")
    if plain_test_auc is not None and not math.isnan(plain_test_auc) and (
            math.isnan(test_auc) or test_auc < plain_test_auc):
        reasons.append(f"test ROC AUC {test_auc:.4f} below the plain LightGBM baseline's "
                       f"{plain_test_auc:.4f}")
    return reasons

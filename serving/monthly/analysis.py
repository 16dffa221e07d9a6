"""Month over month: class shares, the migration matrix, score PSI, enterprises that rose."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from models.levels import LEVEL_INDEX, LEVELS
from models.stability import population_stability_index
from serving.results.rows import PeriodAnalysis


def class_shares(levels: list[str]) -> dict[str, float]:
    counts = np.bincount([LEVEL_INDEX[level] for level in levels], minlength=len(LEVELS))
    total = max(int(counts.sum()), 1)
    return {level: float(counts[i] / total) for i, level in enumerate(LEVELS)}


def migration_matrix(previous: pa.Table, current: pa.Table) -> dict[str, dict[str, int]]:
    """Counts of enterprises by previous class (rows, plus ``new``) and current class
    (columns, plus ``gone``), matched on uscc."""
    before = dict(zip(previous["uscc"].to_pylist(), previous["risk_level"].to_pylist(),
                      strict=True))
    after = dict(zip(current["uscc"].to_pylist(), current["risk_level"].to_pylist(),
                     strict=True))
    matrix = {row: dict.fromkeys([*LEVELS, "gone"], 0) for row in [*LEVELS, "new"]}
    for uscc, level in after.items():
        matrix[before.get(uscc, "new")][level] += 1
    for uscc, level in before.items():
        if uscc not in after:
            matrix[level]["gone"] += 1
    return matrix


def analyse(current: pa.Table, previous: pa.Table | None, warnings: dict[str, int],
            since: dt.date) -> PeriodAnalysis:
    """The period's analysis; ``current`` and ``previous`` have uscc, risk_level,
    final_score; ``warnings`` counts the period's warnings by action."""
    levels = current["risk_level"].to_pylist()
    common = {"enterprises": len(levels), "class_shares": class_shares(levels),
              "mean_final_score": float(np.mean(current["final_score"].to_numpy()))
              if levels else None, "warnings": warnings, "since": str(since)}
    if previous is None or previous.num_rows == 0:
        return PeriodAnalysis(**common, previous_enterprises=0)
    matrix = migration_matrix(previous, current)
    rose = sum(matrix[a][b] for a in LEVELS for b in LEVELS if LEVEL_INDEX[b] > LEVEL_INDEX[a])
    fell = sum(matrix[a][b] for a in LEVELS for b in LEVELS if LEVEL_INDEX[b] < LEVEL_INDEX[a])
    return PeriodAnalysis(
        **common,
        previous_enterprises=previous.num_rows,
        previous_class_shares=class_shares(previous["risk_level"].to_pylist()),
        migration=matrix,
        class_rose=rose,
        class_fell=fell,
        score_psi=population_stability_index(previous["final_score"].to_numpy(),
                                             current["final_score"].to_numpy()),
    )

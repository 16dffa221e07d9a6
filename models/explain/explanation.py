"""One enterprise's explanation: base points, a line per feature, a line per rule, in points.

    base points + Σ feature points = model score          (models.explain.points)
    model score + Σ rule, fusion points = final score     (models.policy.judgement)

Lines carry the catalog's 中文名 / English name and the enterprise's value in human terms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from features.catalog import BY_NAME, DIMENSION_NAMES
from models.columns import Columns, columns_of
from models.explain.points import Attribution, Explainer
from models.explain.values import describe_value
from models.levels import LEVELS
from models.policy.judgement import FUSION_ID, Judgement, judge
from models.policy.profiles import Profile, profile
from models.policy.rules import RuleSet


class Line(NamedTuple):
    """One line of an explanation (immutable; a named tuple, since an explanation makes one
    per feature: 356 frozen dataclasses cost a single-row request 0.4 ms)."""

    kind: str
    """``feature``, ``rule`` or ``fusion``."""
    key: str
    zh: str
    en: str
    points: float
    dimension: str = ""
    reason_zh: str = ""
    reason_en: str = ""
    value: float | str | None = None
    """A feature line's value as the model read it (None: missing)."""


@dataclass(frozen=True)
class Explanation:
    uscc: str
    as_of: dt.date | None
    base_points: float
    features: list[Line]
    """Every feature, largest |points| first."""
    rules: list[Line]
    """Every rule that fired (and fusion), in the order they apply; 0 points when not binding."""
    model_score: float
    final_score: float
    risk_level: str
    class_label: str
    profile: Profile
    rules_version: str
    dimensions: dict[str, float] = field(default_factory=dict)
    """Points per indicator dimension (DESIGN.md §4), in catalog order."""


def explain_rows(
    explainer: Explainer, table: pa.Table, jurisdiction: Profile | None = None,
    rules: RuleSet | None = None, as_of: dt.date | None = None, id_column: str = "uscc",
) -> list[Explanation]:
    """Explanations for every row of a (small) feature table: the model is run once, for the
    attribution, and its scores are judged by the rules."""
    model = explainer.model
    rules = rules or model.rules
    attribution = explainer.attribute(model.spec.matrix(table))
    judgement = judge(attribution.model_score, table, rules, jurisdiction or profile(), as_of)
    return explanations_of(table, attribution, judgement, rules, id_column)


_DIMENSIONS = {name: str(entry.dimension) for name, entry in BY_NAME.items()}
"""Each catalog feature's indicator dimension, as an explanation's totals are keyed."""


def explanations_of(table: pa.Table | Columns, attribution: Attribution, judgement: Judgement,
                    rules: RuleSet, id_column: str = "uscc") -> list[Explanation]:
    """`explain_rows` from an attribution and a judgement of ``table``'s rows already made
    (a caller that needs the judgement too makes it once)."""
    columns = columns_of(table)
    return [_explanation(columns, i, attribution, judgement, rules, id_column)
            for i in range(columns.num_rows)]


def _explanation(table: Columns, row: int, attribution: Attribution, judgement: Judgement,
                 rules: RuleSet, id_column: str) -> Explanation:
    dimensions = {str(d): 0.0 for d in DIMENSION_NAMES}
    names, row_points = attribution.names, attribution.points[row]
    for name, points in zip(names, row_points.tolist(), strict=True):
        dimension = _DIMENSIONS.get(name, "")
        if dimension:
            dimensions[dimension] += points
    features = []
    # largest |points| first, ties in model order (a stable sort, as list.sort would be)
    for i in np.argsort(-np.abs(row_points), kind="stable").tolist():
        name, points = names[i], float(row_points[i])
        value = table.values(name)[row]
        zh, en = describe_value(name, value)
        features.append(Line("feature", name, zh, en, points, _DIMENSIONS.get(name, ""),
                             "", "", _plain(value)))
    lines = []
    for j, step in enumerate(judgement.step_ids):
        if not judgement.fired[row, j]:
            continue
        points = float(judgement.points[row, j])
        if step == FUSION_ID and rules.fusion is not None:
            grade = table.values(rules.fusion.grade_feature)[row]
            zh, en = describe_value(rules.fusion.grade_feature, grade)
            lines.append(Line("fusion", step, zh, en, points, reason_zh=rules.fusion.reason.zh,
                              reason_en=rules.fusion.reason.en))
        else:
            rule = rules.rule(step)
            verb = {"force": "判定为", "floor": "至少", "cap": "至多"}[rule.action]
            lines.append(Line("rule", step, f"{verb} {rule.level} 类", f"{rule.action} "
                              f"{rule.level}", points, reason_zh=rule.reason.zh,
                              reason_en=rule.reason.en))
    names = table.column_names
    as_of = table.values("as_of")[row] if "as_of" in names else None
    uscc = str(table.values(id_column)[row]) if id_column in names else str(row)
    return Explanation(
        uscc=uscc, as_of=as_of, base_points=attribution.base_points, features=features,
        rules=lines, model_score=float(judgement.model_score[row]),
        final_score=float(judgement.final_score[row]),
        risk_level=LEVELS[judgement.final_level[row]],
        class_label=judgement.profile.label(int(judgement.final_level[row])),
        profile=judgement.profile, rules_version=judgement.rules_version,
        dimensions=dimensions,
    )


def _plain(value: object) -> float | str | None:
    """A feature value as JSON can carry it: a number, a category's text, or None."""
    if value is None or isinstance(value, str):
        return value
    number = float(value)  # type: ignore[arg-type]
    return None if number != number else number


def top_factors(points: npt.NDArray[np.float64], top: int
                ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Per row, the column indices of the ``top`` largest positive and most negative points
    (largest first), −1 where fewer exist: for storing every enterprise's top factors."""
    order = np.argsort(-points, axis=1, kind="stable")[:, :top]
    raising = np.where(np.take_along_axis(points, order, axis=1) > 0, order, -1)
    order = np.argsort(points, axis=1, kind="stable")[:, :top]
    lowering = np.where(np.take_along_axis(points, order, axis=1) < 0, order, -1)
    return raising, lowering

"""Apply the qualitative rules and the 通用+专业 fusion to model scores, vectorised over rows.

Precedence, in order (documented in `rules.yaml` too):

1. the model score gives the model's level under the jurisdiction profile's cut points;
2. caps lower it — the lowest cap among the rules that fired wins;
3. floors raise it — the highest floor wins, so a floor beats a conflicting cap;
4. fusion combines it with the domain risk grade through the matrix, when there is a grade;
5. forces replace it — the highest forced level wins; direct judgements are final.

Whenever a step changes the level, the score moves to the nearest score of the new level's band
(a forced D scores at least 750, a cap at B at most 499.99) and that move is the step's points,
credited to the one rule that bound (the first in file order among equals). Rules that fired
without binding are listed with 0 points. So model score + Σ points = final score, per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from models.columns import Columns, columns_of
from models.levels import LEVELS
from models.policy.profiles import Profile
from models.policy.rules import Rule, RuleSet

FUSION_ID = "domain_fusion"
"""The id under which fusion appears among the fired rules and explanation lines."""

FloatArray = npt.NDArray[np.float64]
LevelArray = npt.NDArray[np.int8]


class RuleInputError(ValueError):
    """The feature table lacks what a rule needs; the message names the rule and column."""


@dataclass(frozen=True)
class Judgement:
    """Model and final score and level per row, and what every rule did to each row."""

    step_ids: tuple[str, ...]
    """Columns of ``fired`` and ``points``: the rule ids in file order, then fusion."""
    model_score: FloatArray
    model_level: LevelArray
    final_score: FloatArray
    final_level: LevelArray
    fired: npt.NDArray[np.bool_]
    points: FloatArray
    profile: Profile
    rules_version: str

    def fired_rules(self) -> pa.ListArray:
        """Per row, the ids of the rules (and fusion) that fired, in file order."""
        rows, columns = np.nonzero(self.fired)
        offsets = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(self.fired)))])
        values = pa.array(np.asarray(self.step_ids, dtype=object)[columns], pa.string())
        return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)

    def to_arrow(self) -> pa.Table:
        return pa.table({
            "model_score": pa.array(self.model_score, pa.float64()),
            "model_level": pa.array(np.asarray(LEVELS)[self.model_level], pa.string()),
            "final_score": pa.array(self.final_score, pa.float64()),
            "risk_level": pa.array(np.asarray(LEVELS)[self.final_level], pa.string()),
            "class_label": pa.array(self.profile.labels_of(self.final_level), pa.string()),
            "fired_rules": self.fired_rules(),
        })


def judge(
    model_score: npt.ArrayLike, table: pa.Table | Columns, rules: RuleSet, profile: Profile,
    as_of: dt.date | None = None,
) -> Judgement:
    """Apply ``rules`` to rows of ``table`` scored ``model_score``.

    Rules are in effect by date: ``as_of`` for every row, or each row's ``as_of`` column.
    """
    features = columns_of(table)
    score = np.array(model_score, dtype=np.float64)
    if score.shape != (features.num_rows,):
        raise ValueError(f"judge: {score.shape[0]} scores for {features.num_rows} rows")
    model_level = profile.levels_of(score)
    dates = (_row_dates(features, as_of) if rules.rules
             else np.zeros(features.num_rows, "datetime64[D]"))
    fired = np.column_stack(
        [_fires(rule, features, dates) for rule in rules.rules]
        + [_has_grade(features, rules)]
    ) if features.num_rows else np.zeros((0, len(rules.rules) + 1), bool)
    state = _State(score.copy(), model_level.copy(), np.zeros(fired.shape), profile)
    by_action = {action: [i for i, r in enumerate(rules.rules) if r.action == action]
                 for action in ("cap", "floor", "force")}
    levels = np.array([r.level_index for r in rules.rules], dtype=np.int8)
    state.bind(fired, by_action["cap"], levels, pick=np.argmin,
               applies=lambda bound: bound < state.level)
    state.bind(fired, by_action["floor"], levels, pick=np.argmax,
               applies=lambda bound: bound > state.level)
    if rules.fusion is not None:
        state.fuse(features, rules, fired[:, -1])
    state.bind(fired, by_action["force"], levels, pick=np.argmax,
               applies=lambda bound: bound != state.level)
    return Judgement(
        step_ids=(*(r.id for r in rules.rules), FUSION_ID),
        model_score=score, model_level=model_level, final_score=state.score,
        final_level=state.level, fired=fired, points=state.points, profile=profile,
        rules_version=rules.version_id,
    )


@dataclass
class _State:
    score: FloatArray
    level: LevelArray
    points: FloatArray
    profile: Profile

    def move(self, rows: npt.NDArray[np.bool_], level: LevelArray, step: npt.ArrayLike) -> None:
        """Move ``rows`` to ``level`` (per row), crediting the score change to ``step``."""
        index = np.flatnonzero(rows)
        if index.size == 0:
            return
        new_level = level[index]
        low, high = np.array([self.profile.band(i) for i in range(len(LEVELS))])[new_level].T
        new_score = np.clip(self.score[index], low, high)
        self.points[index, np.asarray(step)[index] if np.ndim(step) else step] += (
            new_score - self.score[index])
        self.score[index] = new_score
        self.level[index] = new_level

    def bind(
        self, fired: npt.NDArray[np.bool_], members: list[int], levels: LevelArray,
        pick: Callable[..., npt.NDArray[np.intp]],
        applies: Callable[[LevelArray], npt.NDArray[np.bool_]],
    ) -> None:
        """One stage of rules: the binding rule per row is ``pick`` over the fired levels."""
        if not members:
            return
        columns = np.asarray(members)
        sentinel = 127 if pick is np.argmin else -1
        candidate = np.where(fired[:, columns], levels[columns], sentinel)
        choice = pick(candidate, axis=1)
        bound = candidate[np.arange(len(choice)), choice].astype(np.int8)
        rows = fired[:, columns].any(axis=1) & applies(bound)
        self.move(rows, bound, columns[choice])

    def fuse(self, features: Columns, rules: RuleSet, has_grade: npt.NDArray[np.bool_]) -> None:
        fusion = rules.fusion
        assert fusion is not None
        grade = _grade_index(features, rules)
        table = np.asarray(fusion.table(), dtype=np.int8)
        fused = table[self.level, np.where(has_grade, grade, 0)]
        self.move(has_grade & (fused != self.level), fused, self.points.shape[1] - 1)


def _row_dates(features: Columns, as_of: dt.date | None) -> npt.NDArray[np.datetime64]:
    if as_of is not None:
        return np.full(features.num_rows, np.datetime64(as_of, "D"))
    if "as_of" not in features.column_names:
        raise RuleInputError("rules need the date they apply at: the feature table has no "
                             "'as_of' column, so pass the as-of date")
    undated = int((~features.valid("as_of")).sum())
    if undated:
        raise RuleInputError(f"column 'as_of': {undated} rows have no date")
    return features.dates("as_of")


def _fires(rule: Rule, features: Columns, dates: npt.NDArray[np.datetime64]) -> npt.NDArray:
    missing = sorted(rule.when.features() - set(features.column_names))
    if missing:
        raise RuleInputError(f"rule {rule.id!r} needs feature columns the table lacks: "
                             f"{', '.join(missing)}")
    start = np.datetime64(rule.effective_from, "D")
    in_effect = dates >= start
    if rule.effective_to is not None:
        in_effect &= dates <= np.datetime64(rule.effective_to, "D")
    if not in_effect.any():
        return in_effect
    return in_effect & rule.when.evaluate(features)


def _grade_values(features: Columns, rules: RuleSet) -> FloatArray:
    fusion = rules.fusion
    if fusion is None:
        return np.full(features.num_rows, np.nan)
    if fusion.grade_feature not in features.column_names:
        raise RuleInputError(f"fusion needs the feature column {fusion.grade_feature!r}, "
                             "which the table lacks")
    return features.numbers(fusion.grade_feature)


def _has_grade(features: Columns, rules: RuleSet) -> npt.NDArray[np.bool_]:
    return _grade_index(features, rules) >= 0


def _grade_index(features: Columns, rules: RuleSet) -> LevelArray:
    """Domain grade as a level index, −1 when the enterprise has none (or an unknown value)."""
    values = _grade_values(features, rules)
    index = np.full(values.shape, -1, dtype=np.int8)
    if rules.fusion is None:
        return index
    for level, value in rules.fusion.grades.items():
        index[values == value] = LEVELS.index(level)
    unknown = np.unique(values[(index < 0) & ~np.isnan(values)])
    if unknown.size:
        expected = ", ".join(f"{v:g} ({k})" for k, v in rules.fusion.grades.items())
        raise RuleInputError(
            f"column {rules.fusion.grade_feature!r}: expected a domain grade among {expected}, "
            f"found {', '.join(f'{v:g}' for v in unknown[:5])}")
    return index

"""Conflicting rules resolve by the documented precedence: caps, floors, fusion, forces."""

from __future__ import annotations

import numpy as np
import pytest

from models.policy.judgement import FUSION_ID, Judgement, judge
from models.policy.profiles import profile
from models.policy.rules import parse_rules
from tests.models.policy.cases import enterprises

RULES = """
version: test
rules:
  - {id: cap_b, when: {feature: honours_36m, op: ">=", value: 1}, action: cap, class: B,
     reason: {zh: 封顶B, en: cap B}, basis: test, effective_from: 2020-01-01}
  - {id: cap_a, when: {feature: honours_36m, op: ">=", value: 2}, action: cap, class: A,
     reason: {zh: 封顶A, en: cap A}, basis: test, effective_from: 2020-01-01}
  - {id: floor_c, when: {feature: penalties_12m, op: ">=", value: 1}, action: floor, class: C,
     reason: {zh: 保底C, en: floor C}, basis: test, effective_from: 2020-01-01}
  - {id: floor_b, when: {feature: penalties_12m, op: ">=", value: 1}, action: floor, class: B,
     reason: {zh: 保底B, en: floor B}, basis: test, effective_from: 2020-01-01}
  - {id: force_c, when: {feature: complaints_12m, op: ">=", value: 1}, action: force,
     class: C, reason: {zh: 判定C, en: force C}, basis: test, effective_from: 2020-01-01}
  - {id: force_d, when: {feature: complaints_12m, op: ">=", value: 2}, action: force,
     class: D, reason: {zh: 判定D, en: force D}, basis: test, effective_from: 2020-01-01}
fusion:
  grade_feature: domain_risk_grade
  grades: {A: 1, B: 2, C: 3, D: 4}
  matrix: {A: [A, B, C, D], B: [B, B, C, D], C: [C, C, C, D], D: [D, D, D, D]}
  reason: {zh: 融合, en: fusion}
  basis: test
"""


def run(case: dict[str, float | None], model_score: float) -> Judgement:
    rules = parse_rules(RULES, "test rules")
    return judge([model_score], enterprises(case), rules, profile())


def points(judged: Judgement) -> dict[str, float]:
    return {step: round(float(p), 2) for step, p in zip(judged.step_ids, judged.points[0],
                                                         strict=True) if judged.fired[0][
                                                             judged.step_ids.index(step)]}


def test_the_lowest_cap_binds_and_the_other_is_listed_with_zero_points() -> None:
    judged = run({"honours_36m": 2}, 600.0)
    assert judged.final_level[0] == 0
    assert points(judged) == {"cap_b": 0.0, "cap_a": pytest.approx(199.99 - 600.0)}


def test_a_floor_beats_a_conflicting_cap() -> None:
    judged = run({"honours_36m": 2, "penalties_12m": 1}, 600.0)
    assert judged.final_level[0] == 2 and judged.final_score[0] == 500.0
    assert points(judged) == {"cap_b": 0.0, "cap_a": -400.01, "floor_c": 300.01,
                              "floor_b": 0.0}


def test_the_highest_force_wins_over_everything_and_can_lower() -> None:
    judged = run({"complaints_12m": 2, "penalties_12m": 1}, 100.0)
    assert judged.final_level[0] == 3 and judged.final_score[0] == 750.0
    lowered = run({"complaints_12m": 1}, 900.0)
    assert lowered.final_level[0] == 2 and lowered.final_score[0] == 749.99


def test_fusion_comes_after_caps_and_floors_and_before_forces() -> None:
    fused = run({"honours_36m": 2, "domain_risk_grade": 3}, 600.0)
    assert fused.final_level[0] == 2
    assert points(fused)[FUSION_ID] == pytest.approx(500.0 - 199.99)
    forced = run({"domain_risk_grade": 4, "complaints_12m": 1}, 100.0)
    assert forced.final_level[0] == 2


def test_points_add_up_to_the_final_score_on_many_rows() -> None:
    rng = np.random.default_rng(3)
    n = 2000
    cases = [{"honours_36m": float(rng.integers(0, 3)), "penalties_12m": float(rng.integers(0, 2)),
              "complaints_12m": float(rng.integers(0, 3)),
              "domain_risk_grade": float(rng.integers(1, 5)) if rng.random() < 0.5 else None}
             for _ in range(n)]
    scores = rng.uniform(0, 1000, n)
    judged = judge(scores, enterprises(*cases), parse_rules(RULES, "test rules"), profile())
    assert np.allclose(judged.model_score + judged.points.sum(axis=1), judged.final_score,
                       atol=1e-9, rtol=0)
    assert (profile().levels_of(judged.final_score) == judged.final_level).all()
    assert not judged.points[~judged.fired].any()

"""Each shipped rule fires on the case it is written for and not on its near misses."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from models.policy.judgement import judge
from models.policy.profiles import profile
from models.policy.rules import shipped_rules
from tests.models.policy.cases import enterprises

CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    # rule id: (cases where it fires, cases where it does not)
    "serious_dishonesty_list": (
        [{"serious_dishonesty_now": 1}],
        [{}, {"serious_dishonesty_ever": 1}]),
    "dishonest_judgement_debtor": (
        [{"dishonest_debtor_now": 1}],
        [{"dishonest_debtor_entries_36m": 2}]),
    "high_concern_industry_with_violation": (
        [{"tag_food": 1, "penalties_12m": 1}, {"tag_drug": 1, "quality_failures_36m": 1},
         {"industry_division": "C26", "spot_check_problems_12m": 1},
         {"industry_section": "B", "complaints_substantiated_12m": 2},
         {"tag_special_equipment": 1, "penalties_12m": 3}],
        [{"tag_food": 1}, {"penalties_12m": 1},
         {"tag_food": 1, "penalties_36m": 1, "penalties_12m": 0},
         {"industry_division": "C28", "penalties_12m": 1}]),
    "unlicensed_operation": (
        [{"unlicensed_operation_36m": 1}], [{"unlicensed_operation_36m": 0}]),
    "licence_revoked": ([{"licences_revoked_36m": 1}], [{"licences_granted_36m": 3}]),
    "joint_punishment": ([{"joint_punishment_now": 1}], [{}]),
    "abnormal_operation_list": (
        [{"abnormal_listed_now": 1}], [{"abnormal_listings_36m": 1}]),
    "observation_period_new_enterprise": (
        [{"age_years": 0.4}, {"age_years": 0.99, "honours_36m": 1}],
        [{"age_years": 1.0}, {"age_years": 0.4, "penalties_36m": 1},
         {"age_years": 0.4, "abnormal_listings_36m": 1}, {"age_years": None},
         {"age_years": 0.4, "complaints_substantiated_36m": 1}]),
}


def test_every_shipped_rule_has_cases() -> None:
    assert set(CASES) == {rule.id for rule in shipped_rules().rules}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires_and_does_not_fire(rule_id: str) -> None:
    rules = shipped_rules()
    fires, misses = CASES[rule_id]
    table = enterprises(*fires, *misses)
    column = [s for s in rules.rules].index(rules.rule(rule_id))
    judged = judge(np.full(table.num_rows, 100.0), table, rules, profile())
    assert judged.fired[:, column].tolist() == [True] * len(fires) + [False] * len(misses)


@pytest.mark.parametrize(("case", "model_score", "level", "low", "high"), [
    ({"serious_dishonesty_now": 1}, 120.0, 3, 750, 1000),
    ({"dishonest_debtor_now": 1}, 990.0, 3, 990, 990),
    ({"unlicensed_operation_36m": 1}, 30.0, 2, 500, 500),
    ({"abnormal_listed_now": 1}, 50.0, 1, 200, 200),
    ({"age_years": 0.2}, 800.0, 1, 499.99, 499.99),
    ({"age_years": 0.2}, 150.0, 0, 150, 150),  # a cap never raises
])
def test_actions_move_the_score_into_the_band(
    case: dict[str, Any], model_score: float, level: int, low: float, high: float
) -> None:
    judged = judge([model_score], enterprises(case), shipped_rules(), profile())
    assert judged.final_level[0] == level
    assert low <= judged.final_score[0] <= high
    assert judged.model_score[0] + judged.points[0].sum() == pytest.approx(
        judged.final_score[0], abs=1e-9)

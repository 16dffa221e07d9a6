"""The condition tree bounds its own depth, whatever reads it (a YAML file, a dict, JSON)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from models.policy.common import PolicyFileError
from models.policy.conditions import Condition
from models.policy.rules import parse_rules

LIMIT = 16
"""all / any / not nest at most this deep; a comparison alone is depth 1."""
COMPARISON = {"feature": "penalties_12m", "op": ">=", "value": 1}
RULE = """version: "1.0"
rules:
  - id: deep
    when: {when}
    action: floor
    class: C
    reason: {{zh: 测试, en: test}}
    basis: test basis
    effective_from: 2023-01-01
"""


def nested(depth: int, key: str = "not") -> dict[str, Any]:
    """A condition ``depth`` deep: comparisons wrapped in ``key`` (not, all or any)."""
    condition: dict[str, Any] = dict(COMPARISON)
    for _ in range(depth - 1):
        condition = {key: condition if key == "not" else [dict(COMPARISON), condition]}
    return condition


@pytest.mark.parametrize("key", ["not", "all", "any"])
def test_conditions_up_to_the_limit_are_accepted(key: str) -> None:
    condition = TypeAdapter(Condition).validate_python(nested(LIMIT, key))
    assert condition.features() == {"penalties_12m"}


@pytest.mark.parametrize("key", ["not", "all", "any"])
def test_a_condition_too_deep_is_refused_naming_the_rule(key: str) -> None:
    when = str(nested(LIMIT + 1, key)).replace("'", '"')
    with pytest.raises(PolicyFileError) as error:
        parse_rules(RULE.format(when=when), "my-rules.yaml")
    assert str(error.value) == (f"my-rules.yaml: rule 'deep', field 'when': conditions nest at "
                                f"most {LIMIT} levels deep (all, any, not)")


def test_a_very_deep_condition_fails_in_one_short_message() -> None:
    with pytest.raises(ValidationError) as error:
        TypeAdapter(Condition).validate_python(nested(3000))
    assert [problem["loc"] for problem in error.value.errors()] == [()]
    assert f"at most {LIMIT} levels deep" in str(error.value)

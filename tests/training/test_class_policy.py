"""Parsing the class policy from the command line."""

from __future__ import annotations

import pytest

from training.class_policy import DEFAULT_PROBABILITIES, ClassPolicy


def test_default_is_the_policy_probabilities() -> None:
    assert ClassPolicy.parse(None, None).probabilities == DEFAULT_PROBABILITIES


def test_uneven_shares_are_accepted() -> None:
    policy = ClassPolicy.parse(None, "0.6,0.3,0.05,0.05")
    assert policy.shares == (0.6, 0.3, 0.05, 0.05) and policy.probabilities is None


@pytest.mark.parametrize(("probabilities", "shares", "message"), [
    ("0.2,0.1,0.5", None, "0 < p_B < p_C < p_D < 1"),
    ("0.1,0.2", None, "expected 3 comma-separated numbers"),
    (None, "0.5,0.3,0.1,0.2", "summing to 1"),
    (None, "a,b,c,d", "found 'a,b,c,d'"),
    ("0.05,0.2,0.5", "0.6,0.3,0.05,0.05", "not both"),
])
def test_bad_policies_are_explained(probabilities: str | None, shares: str | None,
                                    message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ClassPolicy.parse(probabilities, shares)

"""The explanation budget bounds trees × leaves of every trained booster."""

from __future__ import annotations

from training.booster import LEAF_BUDGET, MAX_ROUNDS, max_rounds


def test_rounds_shrink_as_trees_grow_wider() -> None:
    assert max_rounds({"num_leaves": 31}) == LEAF_BUDGET // 31
    assert max_rounds({"num_leaves": 63}) * 63 <= LEAF_BUDGET
    assert max_rounds({"num_leaves": 2}) == min(MAX_ROUNDS, LEAF_BUDGET // 2)

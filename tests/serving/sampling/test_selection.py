"""Counts per class (exact ceilings), the budget's allocation, the hash ranking and batches."""

from __future__ import annotations

import hashlib
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serving.sampling.selection import (
    CLASSES,
    Member,
    ShortBudget,
    budget_counts,
    parse_ratios,
    population_sha256,
    rank_key,
    ratio_counts,
    select,
)

SEED = "lottery 2025138"


def test_ratios_parse_exactly_and_name_what_is_wrong() -> None:
    assert parse_ratios("A=1,B=3,C=10,D=20") == {"A": 1, "B": 3, "C": 10, "D": 20}
    assert parse_ratios("D=2.5") == {"A": 0, "B": 0, "C": 0, "D": Fraction(5, 2)}
    for wrong, message in (("A=1;B=3", "CLASS=PERCENT"), ("E=1", "CLASS=PERCENT"),
                           ("A=1,A=2", "given twice"), ("A=101", "0 to 100")):
        with pytest.raises(ValueError, match=message):
            parse_ratios(wrong)


def test_counts_are_exact_ceilings_and_at_least_one_for_a_non_empty_class() -> None:
    ratios = parse_ratios("A=1,B=3,C=10,D=20")
    # 3 % of 100 is 3: float arithmetic (0.03 * 100 = 3.0000000000000004) would round up to 4.
    assert ratio_counts({"A": 100, "B": 100, "C": 100, "D": 100}, ratios) == {
        "A": 1, "B": 3, "C": 10, "D": 20}
    assert ratio_counts({"A": 1, "B": 1, "C": 1, "D": 1}, ratios) == dict.fromkeys(CLASSES, 1)
    assert ratio_counts({"A": 0, "B": 34, "C": 11, "D": 6}, ratios) == {
        "A": 0, "B": 2, "C": 2, "D": 2}
    assert ratio_counts({"A": 500, "B": 0, "C": 0, "D": 0}, parse_ratios("B=3")) == {
        "A": 0, "B": 0, "C": 0, "D": 0}


sizes_strategy = st.fixed_dictionaries({c: st.integers(0, 5000) for c in CLASSES})
ratios_strategy = st.fixed_dictionaries({c: st.fractions(0, 100, max_denominator=10)
                                         for c in CLASSES})


@settings(max_examples=300, deadline=None)
@given(sizes_strategy, ratios_strategy, st.integers(0, 3000))
def test_a_budget_is_spent_whole_above_the_floors_and_below_the_sizes(
        sizes: dict[str, int], ratios: dict[str, Fraction], extra: int) -> None:
    floors = ratio_counts(sizes, ratios)
    room = sum(sizes[c] for c in CLASSES if ratios[c] > 0 and sizes[c] > 0)
    budget = min(sum(floors.values()) + extra, room)
    if budget < 1:
        return
    counts = budget_counts(sizes, ratios, budget)
    assert sum(counts.values()) == budget
    for c in CLASSES:
        assert floors[c] <= counts[c] <= sizes[c]
        if ratios[c] == 0 or sizes[c] == 0:
            assert counts[c] == 0


def test_a_budget_follows_ratio_times_size_when_no_floor_binds() -> None:
    sizes = {"A": 1000, "B": 1000, "C": 1000, "D": 1000}
    ratios = parse_ratios("A=1,B=3,C=10,D=20")
    assert budget_counts(sizes, ratios, 340) == {"A": 10, "B": 30, "C": 100, "D": 200}
    assert budget_counts(sizes, ratios, 680) == {"A": 20, "B": 60, "C": 200, "D": 400}
    # 100 across weights 10:30:100:200 → 2.94, 8.82, 29.41, 58.82: floors A 10, B 30, C 100
    # and D 200 need 340, so the budget is short by 240.
    with pytest.raises(ShortBudget) as caught:
        budget_counts(sizes, ratios, 100)
    assert caught.value.shortfall == 240 and "240 short" in str(caught.value)


def test_a_floor_binds_and_the_rest_is_shared_in_proportion() -> None:
    sizes = {"A": 10_000, "B": 100, "C": 10, "D": 1}
    ratios = parse_ratios("A=1,B=3,C=10,D=20")
    counts = budget_counts(sizes, ratios, 200)
    assert counts["D"] == 1 and counts["C"] >= 1 and sum(counts.values()) == 200
    assert counts["A"] / counts["B"] == pytest.approx(100 / 3, rel=0.1)


def test_a_budget_beyond_the_population_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 15"):
        budget_counts({"A": 10, "B": 5, "C": 0, "D": 0}, parse_ratios("A=1,B=3"), 16)


def members(n: int) -> list[Member]:
    return [Member(f"91410100{i:010d}", CLASSES[i % 4], i % 7 == 0, ("GEN-01",))
            for i in range(n)]


def test_the_ranking_is_the_documented_sha256_and_recent_ones_come_last() -> None:
    population = members(400)
    counts = {"A": 5, "B": 5, "C": 95, "D": 5}
    picks = select(population, SEED, "GEN", counts, {}, "combined")
    for level in CLASSES:
        stratum = [m for m in population if m.risk_level == level]
        ranked = sorted(stratum, key=lambda m: (m.recent, hashlib.sha256(
            f"{SEED}|GEN|{m.uscc}".encode()).hexdigest()))
        chosen = [p.uscc for p in picks if p.risk_level == level]
        assert chosen == [m.uscc for m in ranked[:counts[level]]]
    c_picks = [p for p in picks if p.risk_level == "C"]
    assert any(p.recent for p in c_picks)  # class C needs more than its fresh members
    assert all(p.rank == rank_key(SEED, "GEN", p.uscc) for p in picks)


def test_modes_set_the_batches_and_the_key_list_stays_apart() -> None:
    population = members(200)
    counts = {"A": 6, "B": 6, "C": 6, "D": 6}
    forced = {population[3].uscc: "complaint"}
    assert {p.batch for p in select(population, SEED, "GEN", counts, {}, "combined")} == {"1"}
    per_class = select(population, SEED, "GEN", counts, {}, "per-class")
    assert all(p.batch == p.risk_level for p in per_class)
    batched = select(population, SEED, "GEN", counts, forced, "batched", batches=3)
    random_part = [p for p in batched if p.part == "random"]
    assert sorted({p.batch for p in random_part}) == ["1", "2", "3"]
    assert [(p.uscc, p.batch, p.reason) for p in batched if p.part == "key"] == [
        (population[3].uscc, "K", "complaint")]
    assert population[3].uscc not in {p.uscc for p in random_part}
    assert len(random_part) == sum(counts.values())
    with pytest.raises(ValueError, match="mode"):
        select(population, SEED, "GEN", counts, {}, "random")


def test_the_population_hash_covers_every_field_and_ignores_order() -> None:
    population = members(30)
    digest = population_sha256(population)
    assert population_sha256(reversed(population)) == digest
    changed = [*population[:-1], Member(population[-1].uscc, "D", population[-1].recent,
                                        population[-1].items)]
    assert population_sha256(changed) != digest
    assert digest == hashlib.sha256("".join(
        f"{m.uscc}|{m.risk_level}|{int(m.recent)}|{';'.join(m.items)}\n"
        for m in sorted(population, key=lambda m: m.uscc)).encode()).hexdigest()

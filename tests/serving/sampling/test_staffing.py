"""Inspector assignment: 回避 is never violated (a property over random rosters, conflicts and
populations), every item has a qualified inspector, caps and joint checks hold, the answer is
a function of the seed, and an impossible roster names the targets it cannot staff."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serving.sampling.staffing import (
    Inspector,
    Need,
    Rules,
    Unstaffable,
    assign,
    conflicts,
)

ITEMS = ("GEN-01", "GEN-02", "FOOD-01", "DRUG-01")
DEPARTMENTS = ("SCJG", "YJJ", "RS")
PREFECTURES = ("4101", "4102")


def uscc(i: int) -> str:
    return f"9141{i:014d}"


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[Need], list[Inspector], dict, frozenset, Rules]:
    n_targets = draw(st.integers(1, 12))
    n_inspectors = draw(st.integers(1, 16))
    persons = [f"P{i}" for i in range(6)]
    needs = [Need(uscc(t), draw(st.sampled_from(PREFECTURES)) + "02",
                  tuple(draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=3,
                                      unique=True))),
                  frozenset(draw(st.lists(st.sampled_from(persons), max_size=2))))
             for t in range(n_targets)]
    units = [f"unit-{u}" for u in range(4)]
    roster = []
    for i in range(n_inspectors):
        roster.append(Inspector(
            f"I{i:02d}", draw(st.sampled_from(units)),
            draw(st.sampled_from(PREFECTURES)) + "00", draw(st.sampled_from(DEPARTMENTS)),
            frozenset(draw(st.lists(st.sampled_from(ITEMS), min_size=1, unique=True))),
            frozenset(draw(st.lists(st.sampled_from([n.uscc for n in needs]), max_size=3))),
            frozenset(draw(st.lists(st.sampled_from(persons), max_size=2)))))
    excluded = {u: frozenset(draw(st.lists(st.sampled_from([n.uscc for n in needs]),
                                           max_size=2))) for u in units}
    recent = frozenset(draw(st.lists(st.tuples(st.sampled_from([i.inspector_id for i in roster]),
                                               st.sampled_from([n.uscc for n in needs])),
                                     max_size=6)))
    rules = Rules(draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.booleans()))
    return needs, roster, excluded, recent, rules


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.text(min_size=1, max_size=8))
def test_avoidance_is_never_violated(world: tuple, seed: str) -> None:
    needs, roster, excluded, recent, rules = world
    by_id = {i.inspector_id: i for i in roster}
    try:
        staffing = assign(needs, roster, rules, seed, "T", excluded, recent)
    except Unstaffable as error:
        assert error.targets and set(error.targets) <= {n.uscc for n in needs}
        return
    assert set(staffing.assignments) == {n.uscc for n in needs}
    load = Counter()
    for need in needs:
        team = [by_id[i] for i in staffing.assignments[need.uscc]]
        assert len(team) == rules.per_target == len(set(team))
        for inspector in team:
            assert need.uscc not in inspector.conflict_enterprises
            assert not (inspector.conflict_persons & need.legal_representatives)
            assert need.uscc not in excluded.get(inspector.unit, frozenset())
            assert (inspector.inspector_id, need.uscc) not in recent
            assert inspector.unit_region[:4] == need.region_code[:4]
            load[inspector.inspector_id] += 1
        for item in need.items:
            assert any(item in i.qualifications for i in team)
        if rules.joint:
            assert len({i.department for i in team}) >= 2
    assert max(load.values()) <= rules.cap
    recorded = {(e.uscc, e.inspector_id, e.reason) for e in staffing.exclusions}
    for need in needs:
        for inspector in roster:
            if inspector.unit_region[:4] == need.region_code[:4]:
                for reason in conflicts(inspector, need, excluded, recent):
                    assert (need.uscc, inspector.inspector_id, reason) in recorded


def roster_of(n: int, department: str = "SCJG", items: tuple[str, ...] = ITEMS) -> list[Inspector]:
    return [Inspector(f"I{i:03d}", f"unit-{i % 3}", "410100", department, frozenset(items))
            for i in range(n)]


def test_the_assignment_is_a_function_of_the_seed() -> None:
    needs = [Need(uscc(t), "410102", ("GEN-01",)) for t in range(30)]
    roster = roster_of(25)
    first = assign(needs, roster, Rules(2, 5), "seed-1", "GEN")
    assert assign(needs, list(reversed(roster)), Rules(2, 5), "seed-1", "GEN") == first
    other = assign(needs, roster, Rules(2, 5), "seed-2", "GEN")
    assert other.assignments != first.assignments
    assert max(Counter(i for t in first.assignments.values() for i in t).values()) <= 5


def test_an_impossible_roster_names_every_target_it_cannot_staff() -> None:
    needs = [Need(uscc(t), "410102", ("GEN-01",)) for t in range(5)]
    needs.append(Need(uscc(99), "410102", ("DRUG-01",)))
    needs.append(Need(uscc(98), "411102", ("GEN-01",)))  # no unit in that prefecture
    roster = roster_of(3, items=("GEN-01",))
    with pytest.raises(Unstaffable) as caught:
        assign(needs, roster, Rules(2, 2), "s", "GEN")
    error = caught.value
    assert uscc(99) in error.targets and uscc(98) in error.targets
    assert "qualified for DRUG-01" in error.reasons[uscc(99)]
    assert "0 eligible inspectors" in error.reasons[uscc(98)]
    # 3 inspectors × cap 2 = 6 places for 5 GEN targets needing 10: all five compete.
    for t in range(5):
        assert "offer 6 places" in error.reasons[uscc(t)] and "need 10" in error.reasons[uscc(t)]
    assert all(t in str(error) for t in error.targets[:10])


def test_a_unit_excluded_for_the_target_is_named_as_the_reason_it_lacks_qualified_ones() -> None:
    # 济源's case: its market-supervision unit, the only one qualified for GEN, is excluded
    # for one enterprise; its other departments' inspectors are eligible but not qualified.
    target = Need(uscc(1), "419001", ("GEN-01", "GEN-02"))
    roster = [Inspector(f"S{i}", "济源市市场监督管理局", "419001", "SCJG",
                        frozenset({"GEN-01", "GEN-02"})) for i in range(5)]
    roster += [Inspector(f"E{i}", "济源市生态环境局", "419001", "SSTHJ",
                         frozenset({"ECO-01"})) for i in range(6)]
    with pytest.raises(Unstaffable) as caught:
        assign([target], roster, Rules(2, 5), "s", "GEN",
               {"济源市市场监督管理局": frozenset({uscc(1)})})
    assert caught.value.reasons[uscc(1)] == (
        "no eligible inspector qualified for GEN-01, GEN-02; "
        "回避 kept away 5 qualified (unit_excluded 5)")


def test_targets_that_fail_only_together_are_found_by_the_solver() -> None:
    # Two targets each need DRUG-01; one qualified inspector with cap 1: places suffice in
    # number (5 inspectors × 1 for 4), but only one target can have the qualified inspector.
    needs = [Need(uscc(t), "410102", ("DRUG-01",)) for t in range(2)]
    roster = [Inspector("Q", "u", "410100", "YJJ", frozenset({"DRUG-01"})),
              *roster_of(4, items=("GEN-01",))]
    with pytest.raises(Unstaffable) as caught:
        assign(needs, roster, Rules(2, 1), "s", "DRUG")
    assert len(caught.value.targets) == 1 and not caught.value.reasons


def test_a_joint_check_needs_two_departments() -> None:
    needs = [Need(uscc(1), "410102", ("GEN-01",))]
    with pytest.raises(Unstaffable, match="two departments"):
        assign(needs, roster_of(4), Rules(2, 5, joint=True), "s", "JOINT")
    mixed = [*roster_of(2), Inspector("J001", "unit-j", "410100", "RS", frozenset({"GEN-02"}))]
    team = assign(needs, mixed, Rules(2, 5, joint=True), "s", "JOINT").assignments[uscc(1)]
    assert "J001" in team

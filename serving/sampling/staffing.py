"""Who inspects: inspectors matched to targets under 回避, qualification, workload and joint
checks, by a CP-SAT model (OR-Tools), deterministic given the seed.

For each target the candidates are the roster's inspectors whose unit lies in the target's
prefecture (the first four digits of the division code). A candidate is *excluded*, with its
reason recorded, when (回避):

- ``declared_enterprise``: the inspector declared a conflict with the enterprise;
- ``declared_person``: the inspector declared a conflict with one of the enterprise's legal
  representatives;
- ``unit_excluded``: the inspector's unit is excluded for the enterprise;
- ``inspected_recently``: the inspector inspected the enterprise (an ``inspections`` row of
  the store naming the inspector in its ``inspector_ids``) or was assigned to it by a draw,
  within the avoidance window (the caller's ``recent`` pairs).

Every target then needs exactly ``per_target`` inspectors, among them for each of its items one
qualified for it, and for a joint check (联合抽查) inspectors of at least two departments; no
inspector takes more than ``cap`` targets (the workload balance). Among the valid assignments
the solver takes the one with the least sum of the chosen pairs' costs (the first 4 hex
digits of ``sha256(seed|task|uscc|inspector_id)``), which is what makes the choice random
yet reproducible. Prefectures are solved one by one: first over a shortlist of every target's
cheapest candidates (`shortlist`), then, if that has no solution, over all candidates; if
that has none either, a model allowed to leave targets unstaffed (as few as possible) finds
which, and `Unstaffable` names every one (with the reason when a target cannot be staffed
even alone). One search worker and a deterministic time limit make the solver's answer a
function of its input.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

SOLVER_DETERMINISTIC_SECONDS = 5.0
"""CP-SAT's deterministic time limit per prefecture model (the same on every machine)."""
SHORTLIST_EXTRA = 4
"""Candidates per target beyond the inspectors it needs, in the first (shortlisted) model."""
WORKLOAD = "not enough eligible inspectors within the workload cap"
EXCLUSION_REASONS = ("declared_enterprise", "declared_person", "unit_excluded",
                     "inspected_recently")


@dataclass(frozen=True)
class Inspector:
    inspector_id: str
    unit: str
    unit_region: str
    department: str
    qualifications: frozenset[str]
    conflict_enterprises: frozenset[str] = frozenset()
    conflict_persons: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Need:
    """What staffing one target needs to know of it."""

    uscc: str
    region_code: str
    items: tuple[str, ...]
    legal_representatives: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rules:
    per_target: int = 2
    cap: int = 20
    joint: bool = False


@dataclass(frozen=True)
class Exclusion:
    uscc: str
    inspector_id: str
    reason: str


@dataclass(frozen=True)
class Staffing:
    assignments: dict[str, tuple[str, ...]]
    """Target → its inspectors' ids, sorted."""
    exclusions: tuple[Exclusion, ...]


@dataclass
class Unstaffable(ValueError):
    """No valid assignment staffs these targets; ``reasons`` says why for the targets that
    cannot be staffed even alone (the others fail only together, on workload)."""

    targets: tuple[str, ...]
    reasons: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        shown = "; ".join(f"{u}: {self.reasons.get(u, WORKLOAD)}" for u in self.targets[:10])
        more = f"; and {len(self.targets) - 10} more" if len(self.targets) > 10 else ""
        return (f"{len(self.targets)} targets cannot be staffed with the roster: {shown}{more}")


def conflicts(inspector: Inspector, need: Need, excluded_units: Mapping[str, frozenset[str]],
              recent: frozenset[tuple[str, str]]) -> list[str]:
    """The 回避 reasons that keep ``inspector`` away from ``need``'s enterprise."""
    reasons = []
    if need.uscc in inspector.conflict_enterprises:
        reasons.append("declared_enterprise")
    if inspector.conflict_persons & need.legal_representatives:
        reasons.append("declared_person")
    if need.uscc in excluded_units.get(inspector.unit, frozenset()):
        reasons.append("unit_excluded")
    if (inspector.inspector_id, need.uscc) in recent:
        reasons.append("inspected_recently")
    return reasons


def pair_cost(seed: str, task: str, uscc: str, inspector_id: str) -> int:
    return int(hashlib.sha256(f"{seed}|{task}|{uscc}|{inspector_id}".encode()).hexdigest()[:4],
               16)


def _alone_problem(need: Need, pool: Sequence[Inspector], rules: Rules,
                   kept_away: Sequence[tuple[Inspector, list[str]]]) -> str | None:
    """Why ``need`` cannot be staffed even with the whole pool to itself (None: it can).
    ``kept_away``: the prefecture's inspectors 回避 kept from it, with their reasons, named
    when they are the ones who were qualified."""
    if len(pool) < rules.per_target:
        return f"{len(pool)} eligible inspectors, {rules.per_target} needed" + \
            _avoided(kept_away)
    missing = [item for item in need.items
               if not any(item in i.qualifications for i in pool)]
    if missing:
        qualified = [(i, why) for i, why in kept_away if i.qualifications & set(missing)]
        return f"no eligible inspector qualified for {', '.join(missing)}" + \
            _avoided(qualified, " qualified")
    if rules.joint and len({i.department for i in pool}) < 2:
        return "a joint check needs inspectors of two departments; eligible ones are all " \
               f"of {pool[0].department}"
    return None


def _avoided(kept_away: Sequence[tuple[Inspector, list[str]]], which: str = "") -> str:
    """``"; 回避 kept away 5 qualified (unit_excluded 5)"``, or nothing when none was."""
    if not kept_away:
        return ""
    counts = Counter(reason for _, reasons in kept_away for reason in reasons)
    shown = ", ".join(f"{reason} {count}" for reason, count in sorted(counts.items()))
    return f"; 回避 kept away {len(kept_away)}{which} ({shown})"


def _capacity_problem(needs: Sequence[Need], pools: Mapping[str, Sequence[Inspector]],
                      rules: Rules, hopeless: Mapping[str, str]) -> str | None:
    """Why the prefecture's targets cannot all be staffed by counting alone: the places its
    eligible inspectors offer within the cap, against those needed (None: enough places)."""
    wanted = [n for n in needs if n.uscc not in hopeless]
    eligible: dict[str, int] = defaultdict(int)
    for need in wanted:
        for inspector in pools[need.uscc]:
            eligible[inspector.inspector_id] += 1
    places = sum(min(rules.cap, count) for count in eligible.values())
    needed = rules.per_target * len(wanted)
    if places >= needed:
        return None
    return (f"the prefecture's eligible inspectors offer {places} places within the workload "
            f"cap of {rules.cap}, its {len(wanted)} targets need {needed}")


def assign(needs: Sequence[Need], roster: Sequence[Inspector], rules: Rules, seed: str,
           task: str, excluded_units: Mapping[str, frozenset[str]] | None = None,
           recent: frozenset[tuple[str, str]] = frozenset()) -> Staffing:
    """Inspectors for every target, or `Unstaffable` naming the targets that cannot have
    them. ``excluded_units``: unit → enterprises it is excluded for; ``recent``: (inspector,
    enterprise) pairs within the avoidance window."""
    if rules.per_target < 1 or rules.cap < 1:
        raise ValueError(f"staffing: expected ≥ 1 inspector per target and a cap ≥ 1, found "
                         f"{rules.per_target} and {rules.cap}")
    excluded_units = excluded_units or {}
    by_prefecture: dict[str, list[Inspector]] = defaultdict(list)
    for inspector in sorted(roster, key=lambda i: i.inspector_id):
        by_prefecture[inspector.unit_region[:4]].append(inspector)
    groups: dict[str, list[Need]] = defaultdict(list)
    for need in sorted(needs, key=lambda n: n.uscc):
        groups[need.region_code[:4]].append(need)

    assignments: dict[str, tuple[str, ...]] = {}
    exclusions: list[Exclusion] = []
    failed: list[str] = []
    reasons: dict[str, str] = {}
    for prefecture in sorted(groups):
        pools: dict[str, list[Inspector]] = {}
        for need in groups[prefecture]:
            pool, kept_away = [], []
            for inspector in by_prefecture.get(prefecture, []):
                found = conflicts(inspector, need, excluded_units, recent)
                exclusions.extend(Exclusion(need.uscc, inspector.inspector_id, r) for r in found)
                if found:
                    kept_away.append((inspector, found))
                else:
                    pool.append(inspector)
            pools[need.uscc] = pool
            problem = _alone_problem(need, pool, rules, kept_away)
            if problem:
                reasons[need.uscc] = problem
        short_of = _capacity_problem(groups[prefecture], pools, rules, reasons)
        if short_of:
            for need in groups[prefecture]:
                reasons.setdefault(need.uscc, short_of)
        solved, unstaffed = _solve(groups[prefecture], pools, rules, seed, task, reasons)
        assignments.update(solved)
        failed.extend(unstaffed)
    if failed:
        raise Unstaffable(tuple(sorted(failed)), reasons)
    return Staffing(assignments, tuple(exclusions))


def shortlist(need: Need, pool: Sequence[Inspector], rules: Rules, seed: str,
              task: str) -> list[Inspector]:
    """The candidates the solver first tries for ``need``: the ``per_target + 4`` cheapest of
    the pool, the 2 cheapest qualified for each item and, for a joint check, the 2 cheapest
    of every department (cost: `pair_cost`)."""
    ranked = sorted(pool, key=lambda i: (pair_cost(seed, task, need.uscc, i.inspector_id),
                                         i.inspector_id))
    chosen = {i.inspector_id: i for i in ranked[:rules.per_target + SHORTLIST_EXTRA]}
    for item in need.items:
        for inspector in [i for i in ranked if item in i.qualifications][:2]:
            chosen[inspector.inspector_id] = inspector
    if rules.joint:
        for department in sorted({i.department for i in ranked}):
            for inspector in [i for i in ranked if i.department == department][:2]:
                chosen[inspector.inspector_id] = inspector
    return sorted(chosen.values(), key=lambda i: i.inspector_id)


def _solve(needs: list[Need], pools: dict[str, list[Inspector]], rules: Rules, seed: str,
           task: str, hopeless: Mapping[str, str]) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """One prefecture's assignment: (target → inspectors, targets left unstaffed). The model
    with every target staffed is solved over the shortlists, then over the whole pools; when
    even that has no solution, a model that may leave targets unstaffed (as few as possible)
    finds which."""
    staffable = [n for n in needs if n.uscc not in hopeless]
    missing = sorted(n.uscc for n in needs if n.uscc in hopeless)
    if not staffable:
        return {}, missing
    short = {n.uscc: shortlist(n, pools[n.uscc], rules, seed, task) for n in staffable}
    for candidates in (short, pools):
        solved = _model(staffable, candidates, rules, seed, task, slack=False)
        if solved is not None:
            return solved, missing
    solved = _model(staffable, pools, rules, seed, task, slack=True) or {}
    return solved, sorted(missing + [n.uscc for n in staffable if n.uscc not in solved])


def _model(needs: list[Need], pools: Mapping[str, Sequence[Inspector]], rules: Rules,
           seed: str, task: str, slack: bool) -> dict[str, tuple[str, ...]] | None:
    """The CP-SAT model: every target staffed (None when impossible), or with ``slack``
    as many as possible (targets left out are missing from the answer)."""
    model = cp_model.CpModel()
    pick: dict[tuple[str, str], cp_model.IntVar] = {}
    load: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    unstaffed: dict[str, cp_model.IntVar] = {}
    costs = []
    for t, need in enumerate(needs):
        chosen = []
        for inspector in pools[need.uscc]:
            var = model.NewBoolVar(f"x_{t}_{inspector.inspector_id}")
            pick[need.uscc, inspector.inspector_id] = var
            load[inspector.inspector_id].append(var)
            chosen.append((inspector, var))
            costs.append(pair_cost(seed, task, need.uscc, inspector.inspector_id) * var)
        total = sum(v for _, v in chosen)
        conditions: list = []
        if slack:
            staffed = model.NewBoolVar(f"staffed_{t}")
            unstaffed[need.uscc] = staffed.Not()
            conditions = [staffed]
            model.Add(total == 0).OnlyEnforceIf(staffed.Not())
        model.Add(total == rules.per_target).OnlyEnforceIf(conditions)
        for item in need.items:
            model.Add(sum(v for i, v in chosen if item in i.qualifications) >= 1
                      ).OnlyEnforceIf(conditions)
        if rules.joint:
            present = []
            for department in sorted({i.department for i, _ in chosen}):
                has = model.NewBoolVar(f"d_{t}_{department}")
                model.AddMaxEquality(has, [v for i, v in chosen if i.department == department])
                present.append(has)
            model.Add(sum(present) >= 2).OnlyEnforceIf(conditions)
    for variables in load.values():
        model.Add(sum(variables) <= rules.cap)
    miss_weight = 65536 * rules.per_target * len(needs) + 1
    model.Minimize(miss_weight * sum(unstaffed.values()) + sum(costs))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = SOLVER_DETERMINISTIC_SECONDS
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {need.uscc: tuple(sorted(i.inspector_id for i in pools[need.uscc]
                                    if solver.BooleanValue(pick[need.uscc, i.inspector_id])))
            for need in needs
            if not (slack and solver.BooleanValue(unstaffed[need.uscc]))}

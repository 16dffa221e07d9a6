"""The inspectors' roster (执法检查人员名录库) of the synthetic province.

Every registration division (prefecture seat and county) has a market-supervision unit
(市场监督管理局, department SCJG) whose size follows the division's enterprises; every
prefecture also has one unit per other department that leads an inspection task (drugs,
ecology, emergency management, housing, transport, human resources). Inspectors are qualified
for items of their department's tasks (item codes ``<TASK>-<nn>``, in task order, as the
shipped inspection-items catalogue numbers them), and a few declare conflicts (回避): an
enterprise of their prefecture, a person who is some enterprise's legal representative there,
or, once per unit now and then, an enterprise the whole unit is excluded for. Each unit
covers every item of its department's tasks (some inspector of it is qualified for each).

The roster knows nothing of risk: conflicts and qualifications are drawn without looking at
any enterprise's hidden risk. `inspection_teams` then names, for every synthetic inspection,
the two inspectors of the roster who carried it out (``inspections.inspector_ids``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from features.contract import INSPECTORS
from synthetic.network import LR, PERSON, Relations
from synthetic.params import DEPARTMENTS, INSPECTION_TASKS
from synthetic.population import Enterprises
from synthetic.regions import DEPT_CODES, Geography

SCJG = "SCJG"
ENTERPRISES_PER_INSPECTOR = 150
"""A market-supervision unit has about one inspector per this many registered enterprises."""
SMALLEST_DEPARTMENT_UNIT = 6
"""Inspectors of a prefecture's unit of another department at least (its law-enforcement
detachment, 执法支队): never so few that the two inspectors of one inspection are the whole
unit, which 回避 would then keep away from that enterprise for the avoidance window."""
PERSONAL_CONFLICT_SHARE = 0.04
PERSON_CONFLICT_SHARE = 0.03
UNIT_CONFLICT_SHARE = 0.08
_DEPT_NAMES = dict(DEPARTMENTS)


def item_codes(task_index: int) -> list[str]:
    """The catalogue codes of one synthetic task's items: ``FOOD-01``, ``FOOD-02``…"""
    task = INSPECTION_TASKS[task_index]
    return [f"{task.code}-{i + 1:02d}" for i in range(len(task.items))]


def _department_tasks() -> dict[str, list[int]]:
    tasks: dict[str, list[int]] = {}
    for index, task in enumerate(INSPECTION_TASKS):
        tasks.setdefault(task.department, []).append(index)
    return tasks


def _qualifications(rng: np.random.Generator, tasks: list[int]) -> list[str]:
    """Items an inspector of a department leading ``tasks`` is qualified for (≥ 1)."""
    chosen: list[str] = []
    for index in tasks:
        codes = item_codes(index)
        if INSPECTION_TASKS[index].code == "GEN" or rng.random() < 0.6:
            chosen.extend(codes)
        else:
            keep = rng.random(len(codes)) < 0.5
            chosen.extend(c for c, k in zip(codes, keep, strict=True) if k)
    if not chosen:
        chosen = item_codes(tasks[0])[:1]
    return chosen


def build_roster(rng: np.random.Generator, geo: Geography, ent: Enterprises,
                 relations: Relations) -> pa.Table:
    """The roster as an Arrow table with the contract's ``inspectors`` schema."""
    per_region = np.bincount(ent.region, minlength=len(geo.codes))
    pref_of_ent = geo.prefecture_of[ent.region]
    per_pref = np.bincount(pref_of_ent, minlength=len(geo.prefectures))
    members = [np.flatnonzero(pref_of_ent == p) for p in range(len(geo.prefectures))]
    is_lr = (relations.role == LR) & (relations.party_kind == PERSON)
    lr_ent, lr_person = relations.ent[is_lr], relations.party[is_lr]
    lr_pref = geo.prefecture_of[ent.region[lr_ent]] if lr_ent.size else lr_ent
    person_ids = relations.person_ids.to_pylist()
    uscc = ent.uscc.to_pylist()
    by_department = _department_tasks()

    units: list[tuple[str, str, int, str, int]] = []  # name, region, prefecture, dept, size
    for r, code in enumerate(geo.codes):
        size = 5 + int(rng.poisson(per_region[r] / ENTERPRISES_PER_INSPECTOR))
        units.append((geo.names[r] + _DEPT_NAMES[SCJG], code, int(geo.prefecture_of[r]),
                      SCJG, min(size, 60)))
    for p, code in enumerate(geo.prefectures):
        for department in by_department:
            if department != SCJG:
                size = SMALLEST_DEPARTMENT_UNIT + int(
                    rng.poisson(per_pref[p] / (8 * ENTERPRISES_PER_INSPECTOR)))
                units.append((geo.prefecture_names[p] + _DEPT_NAMES[department], code, p,
                              department, min(size, 20)))

    rows: dict[str, list] = {c: [] for c in INSPECTORS.column_names}
    for name, region, pref, department, size in units:
        pool = members[pref]
        unit_conflict: list[str] | None = None
        if pool.size and rng.random() < UNIT_CONFLICT_SHARE:
            unit_conflict = [uscc[int(rng.choice(pool))]]
        qualified = [_qualifications(rng, by_department[department]) for _ in range(size)]
        for index in by_department[department]:  # a unit covers every item of its tasks
            for code in item_codes(index):
                if not any(code in q for q in qualified):
                    qualified[int(rng.integers(size))].append(code)
        for k in range(size):
            conflicts = persons = None
            if pool.size and rng.random() < PERSONAL_CONFLICT_SHARE:
                picked = rng.choice(pool, size=min(pool.size, 1 + int(rng.integers(2))),
                                    replace=False)
                conflicts = sorted(uscc[int(i)] for i in picked)
            candidates = lr_person[lr_pref == pref] if lr_ent.size else lr_person
            if candidates.size and rng.random() < PERSON_CONFLICT_SHARE:
                persons = [person_ids[int(rng.choice(candidates))]]
            rows["inspector_id"].append(f"INS-{region}-{department}-{k + 1:03d}")
            rows["unit"].append(name)
            rows["unit_region"].append(region)
            rows["department"].append(department)
            rows["qualifications"].append(qualified[k])
            rows["conflict_enterprises"].append(conflicts)
            rows["conflict_persons"].append(persons)
            rows["unit_conflicts"].append(unit_conflict if k == 0 else None)
    return pa.table(rows, schema=INSPECTORS.arrow_schema())


ITEM_CODES: tuple[str, ...] = tuple(code for index in range(len(INSPECTION_TASKS))
                                    for code in item_codes(index))
"""Catalogue codes of the synthetic item vocabulary (`synthetic.inspections.ITEMS`), in the
same order."""
TEAM_SIZE = 2
"""Inspectors per synthetic inspection (双随机: at least two)."""


def inspection_teams(rng: np.random.Generator, roster: pa.Table, geo: Geography,
                     ent: Enterprises, relations: Relations, labels: pa.Array,
                     inspected: np.ndarray, label: np.ndarray, n_items: np.ndarray,
                     items: np.ndarray) -> pa.Array:
    """``inspector_ids`` of each inspection (rows: enterprise ``inspected``, office ``label``
    into ``labels``, ``n_items`` items of ``items`` flat): two inspectors of the roster unit
    that is the inspecting office (the prefecture's unit of the office's department when the
    office has none in the roster, e.g. a county-level drug office), never one who declared a
    conflict with the enterprise or one of its legal representatives, nor a unit excluded for
    it (its prefecture's unit goes instead); those qualified for one of the items first.
    Null when no inspector of the roster may go."""
    names = roster["unit"].to_pylist()
    ids = roster["inspector_id"].to_pylist()
    departments = roster["department"].to_pylist()
    regions = roster["unit_region"].to_pylist()
    qualified = [frozenset(q) for q in roster["qualifications"].to_pylist()]
    by_unit: dict[str, list[int]] = {}
    unit_home: dict[tuple[str, str], str] = {}  # (prefecture code, department) → unit name
    unit_conflicts: dict[str, set[str]] = {}
    prefecture_codes = set(geo.prefectures)
    excluded = roster["unit_conflicts"].to_pylist()
    for row, name in enumerate(names):
        by_unit.setdefault(name, []).append(row)
        if regions[row] in prefecture_codes:
            unit_home[regions[row], departments[row]] = name
        unit_conflicts.setdefault(name, set()).update(excluded[row] or ())
    uscc = ent.uscc.to_pylist()
    is_lr = (relations.role == LR) & (relations.party_kind == PERSON)
    person_ids = relations.person_ids.to_pylist()
    representatives: dict[str, set[str]] = {}
    for e, person in zip(relations.ent[is_lr], relations.party[is_lr], strict=True):
        representatives.setdefault(person_ids[int(person)], set()).add(uscc[int(e)])
    barred: set[tuple[int, str]] = set()  # (roster row, enterprise) 回避
    for row, (firms, persons) in enumerate(zip(roster["conflict_enterprises"].to_pylist(),
                                               roster["conflict_persons"].to_pylist(),
                                               strict=True)):
        barred.update((row, u) for u in firms or ())
        for person in persons or ():
            barred.update((row, u) for u in representatives.get(person, ()))
    office = labels.to_pylist()
    offsets = np.concatenate([[0], np.cumsum(n_items.astype(np.int64))])
    teams: list[list[str] | None] = []
    for i, (e, at) in enumerate(zip(inspected.tolist(), label.tolist(), strict=True)):
        code = uscc[e]
        department = DEPT_CODES[at % len(DEPT_CODES)]
        home = unit_home.get((geo.prefectures[geo.prefecture_of[ent.region[e]]], department))
        wanted = {ITEM_CODES[k] for k in items[offsets[i]:offsets[i + 1]].tolist()}
        team = None
        for unit in dict.fromkeys(u for u in (office[at], home) if u in by_unit):
            if code in unit_conflicts[unit]:
                continue
            free = [r for r in by_unit[unit] if (r, code) not in barred]
            if len(free) < TEAM_SIZE:
                continue
            order = rng.permutation(len(free))
            ranked = sorted((not (qualified[free[k]] & wanted), int(n), free[k])
                            for n, k in enumerate(order))
            team = sorted(ids[r] for _, _, r in ranked[:TEAM_SIZE])
            break
        teams.append(team)
    return pa.array(teams, pa.list_(pa.string()))

"""双随机、一公开 spot checks: monthly draws per prefecture and inspection task, partly random
and partly targeted on visible warning signs; results become spot_check records."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from features.contract import INSPECTION_RESULTS
from features.reference import industries
from features.reference.record_types import DOMAINS
from synthetic.calendar import add_months, business_day
from synthetic.chunks import OUTCOME_INDEX, Columns, RecordBuilder
from synthetic.params import COMPANY_TYPES, INSPECTION_TASKS, TYPE_CODES
from synthetic.population import Enterprises
from synthetic.regions import DEPT_INDEX

if TYPE_CHECKING:
    from synthetic.events import Simulator

ITEMS: tuple[str, ...] = tuple(item for task in INSPECTION_TASKS for item in task.items)
"""Item vocabulary: the tasks' item lists concatenated (indices are task offset + position)."""
_ITEM_OFFSET = np.cumsum([0] + [len(t.items) for t in INSPECTION_TASKS])[:-1]
_ITEM_COUNT = np.array([len(t.items) for t in INSPECTION_TASKS])
_TASK_DEPT = np.array([DEPT_INDEX[t.department] for t in INSPECTION_TASKS])
_SHIFT = np.array([t.problem_shift for t in INSPECTION_TASKS])
_RESULT_OUTCOME = np.array([OUTCOME_INDEX[r] for r in INSPECTION_RESULTS], np.int16)
_LETTERS = tuple(s.letter for s in industries.SECTIONS)


def task_masks(ent: Enterprises) -> list[np.ndarray]:
    """Which enterprises each inspection task may draw (items must fit the target)."""
    masks = []
    employer = np.isin(ent.type_idx, [*COMPANY_TYPES, TYPE_CODES.index("foreign_invested")])
    for task in INSPECTION_TASKS:
        if task.eligible == "all":
            masks.append(np.ones(ent.n, bool))
        elif task.eligible == "employer":
            masks.append(employer)
        elif task.eligible.startswith("sections:"):
            letters = task.eligible.split(":", 1)[1]
            masks.append(np.isin(ent.section, [_LETTERS.index(c) for c in letters]))
        else:
            masks.append((ent.tags & (1 << DOMAINS.index(task.eligible))) != 0)
    return masks


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def spot_checks(sim: Simulator, b: RecordBuilder, t: int, alive: np.ndarray,
                exposure: np.ndarray, level: np.ndarray, m0: int,
                m1: int) -> tuple[Columns, np.ndarray]:
    """Draw this month's inspection targets, decide results, emit spot_check records and
    follow-ups; returns inspection columns and their flat item indices."""
    rng, ent, geo = sim.rng, sim.ent, sim.geo
    listed = sim._open(sim.abn_since, sim.abn_until, alive, np.full(alive.size, m0))
    flag = 1.0 - np.exp(-sim.exc.own[alive]) + 0.5 * listed
    target = (0.7 + 3.0 * flag) * exposure / 12.0
    tasks, ents = [], []
    for k, task in enumerate(INSPECTION_TASKS):
        p = task.yearly * target * sim.task_masks[k][alive]
        hit = alive[rng.random(alive.size) < p]
        tasks.append(np.full(hit.size, k))
        ents.append(hit)
    task_idx = np.concatenate(tasks)
    e = np.concatenate(ents).astype(np.int32)
    n = e.size
    day = sim._days(e, m0, m1)

    r, x = sim.risk[e], level[e]
    dormant = sim._open(sim.abn_since, sim.abn_until, e, day)
    p_nl = _sigmoid(-5.0 + 0.8 * r + 3.0 * dormant)
    p_pf = _sigmoid(-2.9 + _SHIFT[task_idx] + 1.5 * (r + 0.6 * x))
    u = rng.random(n)
    result = np.where(u < p_nl, 2, np.where(u < p_nl + (1 - p_nl) * p_pf, 1, 0)).astype(np.int8)

    # Draw ids: one per month, prefecture and task.
    pref = geo.prefecture_of[ent.region[e]]
    key = pref.astype(np.int64) * len(INSPECTION_TASKS) + task_idx
    draw = np.zeros(n, np.int32)
    detail = np.zeros(n, np.int32)
    for kk in np.unique(key):
        pi, ti = divmod(int(kk), len(INSPECTION_TASKS))
        name = f"DR-{sim.period.label(t)}-{geo.prefectures[pi]}-{INSPECTION_TASKS[ti].code}"
        sel = key == kk
        draw[sel] = sim.draws.get(name)
        detail[sel] = sim.details.get(f'{{"draw_id":"{name}"}}')
    label = geo.department_index(rng, ent.region[e], _TASK_DEPT[task_idx])

    # Items: 1-3 distinct items of the task.
    width = int(_ITEM_COUNT.max())
    n_items = np.minimum(1 + rng.binomial(2, 0.5, n), _ITEM_COUNT[task_idx])
    keys = rng.random((n, width))
    keys[np.arange(width)[None, :] >= _ITEM_COUNT[task_idx][:, None]] = 2.0
    order = np.argsort(keys, axis=1, kind="stable")
    chosen = np.arange(width)[None, :] < n_items[:, None]
    items = (_ITEM_OFFSET[task_idx][:, None] + order)[chosen]

    b.emit("spot_check", e, day, outcome=_RESULT_OUTCOME[result], dept=_TASK_DEPT[task_idx],
           label=label, details=detail)
    nl = (result == 2) & (rng.random(n) < 0.9)
    sim.schedule.add("abnormal_not_located", e[nl],
                     business_day(day[nl] + rng.integers(5, 30, int(nl.sum()))))
    pf = (result == 1) & (rng.random(n) < 0.3)
    sim.schedule.add("penalty", e[pf],
                     business_day(add_months(day[pf], rng.integers(1, 4, int(pf.sum())))),
                     basis=np.zeros(int(pf.sum()), np.int64))
    cols = {"draw": draw, "ent": e, "day": day, "n_items": n_items.astype(np.int8),
            "result": result, "dept": label}
    return cols, items.astype(np.int16)

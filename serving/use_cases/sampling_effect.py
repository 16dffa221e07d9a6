"""The loop closed: a draw's progress (results posted back under its id) and the effect table
(problems found per inspection by the class each target held when drawn).

Results come back through ``POST /v1/inspection-results`` (or ``ecr ingest``) as
``inspections`` rows keyed by (draw_id, uscc); a target is done once such a row exists. A
problem found is routed to the departments responsible for the target's items in the items
catalogue (谁审批、谁监管; 谁主管、谁监管): the catalogue's ``department`` is the mapping.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from features.store import Store
from serving.results.draws import DrawBook
from serving.results.store import ResultsStore
from serving.sampling.catalogue import Catalogue
from serving.sampling.selection import CLASSES
from serving.use_cases.draws import DrawView, list_draws, read_draw
from serving.use_cases.scope import WHOLE_PROVINCE, Scope

HENAN_2021 = {"A": 0.0, "B": 0.396, "C": 0.565, "D": 0.850}
"""Problems found per inspection by class in Henan's 2021 risk-based spot checks (seed 004)."""
PENDING = "pending"
Z95 = 1.959963984540054


def results_of(store: Store, draw_ids: Sequence[str]) -> dict[tuple[str, str], str]:
    """(draw_id, uscc) → result of the inspections stored for these draws."""
    path = store.pinned().table_path("inspections")
    if path is None or not draw_ids:
        return {}
    with duckdb.connect() as connection:
        rows = connection.execute(
            "SELECT draw_id, uscc, result FROM read_parquet($path) i "
            "JOIN (SELECT unnest($ids) AS draw_id) w USING (draw_id)",
            {"path": str(path), "ids": list(draw_ids)}).fetchall()
    return {(d, u): r for d, u, r in rows}


@dataclass(frozen=True)
class TargetProgress:
    uscc: str
    risk_level: str
    batch: str
    part: str
    result: str
    """pending, or the posted result (no_problem, problem_found, not_located)."""
    routed_to: tuple[str, ...]
    """Departments responsible for the items, when a problem was found."""


@dataclass(frozen=True)
class Progress:
    draw: DrawView
    targets: tuple[TargetProgress, ...]

    @property
    def done(self) -> int:
        return sum(t.result != PENDING for t in self.targets)

    @property
    def by_batch(self) -> dict[str, dict[str, int]]:
        table: dict[str, Counter] = defaultdict(Counter)
        for target in self.targets:
            table[target.batch][target.result] += 1
        return {batch: dict(counts) for batch, counts in sorted(table.items())}


def draw_progress(results: ResultsStore, store: Store, catalogue: Catalogue, draw_id: str,
                  scope: Scope = WHOLE_PROVINCE) -> Progress:
    """Each target of the draw with its posted result and, for a problem, its departments."""
    view = read_draw(results, draw_id, scope, with_exclusions=False)
    posted = results_of(store, [draw_id])
    known = {item.code for item in catalogue.items}
    targets = []
    for t in view.targets:
        result = posted.get((draw_id, t.uscc), PENDING)
        routed = (catalogue.departments(i for i in t.items if i in known)
                  if result == "problem_found" else ())
        targets.append(TargetProgress(t.uscc, t.risk_level, t.batch, t.part, result, routed))
    return Progress(view, tuple(targets))


def wilson(successes: int, trials: int) -> tuple[float, float] | None:
    """The Wilson score 95 % interval of a proportion (None without trials)."""
    if trials == 0:
        return None
    p = successes / trials
    centre = p + Z95 ** 2 / (2 * trials)
    spread = Z95 * math.sqrt(p * (1 - p) / trials + Z95 ** 2 / (4 * trials ** 2))
    scale = 1 + Z95 ** 2 / trials
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


@dataclass(frozen=True)
class EffectRow:
    prefecture: str
    """A prefecture code (``410100``), or ``all``."""
    risk_level: str
    targets: int
    inspected: int
    """Results no_problem or problem_found (not_located is not an inspection of the premises)."""
    problems: int
    not_located: int
    rate: float | None
    low: float | None
    high: float | None
    henan_2021: float


def sampling_effect(results: ResultsStore, store: Store, period: dt.date,
                    scope: Scope = WHOLE_PROVINCE) -> list[EffectRow]:
    """Problems found per inspection by class for the period's draws (not cancelled), over
    the province (``all``) and per prefecture."""
    draws = [d for d in list_draws(results, period, scope) if d.cancellation is None]
    book = DrawBook(results.engine)
    posted = results_of(store, [d.draw_id for d in draws])
    tally: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for draw in draws:
        for target in book.targets(draw.draw_id):
            result = posted.get((draw.draw_id, target.uscc), PENDING)
            for place in ("all", target.region_code[:4] + "00"):
                tally[place, target.risk_level]["targets"] += 1
                tally[place, target.risk_level][result] += 1
    rows = []
    for place in sorted({p for p, _ in tally}, key=lambda p: (p != "all", p)):
        for level in CLASSES:
            counts = tally.get((place, level), Counter())
            problems = counts["problem_found"]
            inspected = problems + counts["no_problem"]
            interval = wilson(problems, inspected)
            rows.append(EffectRow(place, level, counts["targets"], inspected, problems,
                                  counts["not_located"],
                                  problems / inspected if inspected else None,
                                  interval[0] if interval else None,
                                  interval[1] if interval else None, HENAN_2021[level]))
    return rows

"""The spot-check draws an enterprise was in (双随机), for its page: each draw that targeted
it, how (random or key part, batch, reason), whether the draw was cancelled and what the
inspection found, inside the caller's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from features.store import Store
from serving.results.draws import DrawBook
from serving.results.store import ResultsStore
from serving.use_cases.arguments import normal_uscc
from serving.use_cases.errors import InvalidRequest
from serving.use_cases.sampling_effect import PENDING, results_of
from serving.use_cases.scope import Scope

MAX_DRAWS = 200


@dataclass(frozen=True)
class EnterpriseDraw:
    draw_id: str
    period: dt.date
    task: str
    drawn_on: dt.date
    part: str
    """``random`` or ``key`` (重点检查)."""
    batch: str
    reason: str | None
    items: tuple[str, ...]
    cancelled: bool
    result: str
    """``pending`` or the result posted back (no_problem, problem_found, not_located)."""


def enterprise_draws(results: ResultsStore, store: Store, uscc: str, scope: Scope,
                     limit: int = 20) -> list[EnterpriseDraw]:
    """The draws that targeted ``uscc`` (newest first, at most ``limit``) that the caller may
    read (as `read_draw`: a draw whose region is inside ``scope``), with the result of its
    inspection in each."""
    uscc = normal_uscc(uscc)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_DRAWS:
        raise InvalidRequest(f"limit: expected a whole number from 1 to {MAX_DRAWS}, "
                             f"found {limit!r}")
    book = DrawBook(results.engine)
    found = [(draw, target) for draw, target in book.of_enterprise(uscc, limit)
             if scope.prefix is None or (draw.region or "").startswith(scope.prefix)]
    if not found:
        return []
    cancelled = book.cancellations(draw.draw_id for draw, _ in found)
    posted = results_of(store, [draw.draw_id for draw, _ in found])
    return [EnterpriseDraw(draw.draw_id, draw.period, draw.task, draw.drawn_on, target.part,
                           target.batch, target.reason,
                           tuple(target.items.split(";")) if target.items else (),
                           draw.draw_id in cancelled,
                           posted.get((draw.draw_id, uscc), PENDING))
            for draw, target in found]

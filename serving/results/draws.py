"""The draws' tables in the results store: written once, in one transaction, never changed.

`DrawBook.write` stores a draw whole (record, frozen population, targets, assignments,
exclusions) or not at all; `cancel` appends a cancellation. Triggers (migration 0005) refuse
UPDATE and DELETE on all of them, so a redraw is always a new draw.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from serving.results.schema import (
    draw_assignments,
    draw_cancellations,
    draw_exclusions,
    draw_population,
    draw_targets,
    draws,
)

CHUNK = 5_000
"""Rows per INSERT statement (SQLite allows at most 32,766 bound parameters)."""


@dataclass(frozen=True)
class DrawRow:
    draw_id: str
    period: dt.date
    run_id: str
    task: str
    mode: str
    region: str | None
    drawn_on: dt.date
    created_at: dt.datetime
    author: str
    population: int
    targets: int
    population_sha256: str
    record: str
    """Canonical JSON (sorted keys, no spaces, UTF-8)."""
    record_sha256: str

    @property
    def parameters(self) -> dict[str, Any]:
        return json.loads(self.record)


@dataclass(frozen=True)
class PopulationRow:
    uscc: str
    risk_level: str
    recent: bool
    items: str


@dataclass(frozen=True)
class TargetRow:
    uscc: str
    risk_level: str
    region_code: str
    part: str
    reason: str | None
    batch: str
    position: int
    rank_sha256: str
    items: str


@dataclass(frozen=True)
class AssignmentRow:
    uscc: str
    inspector_id: str
    unit: str
    department: str


@dataclass(frozen=True)
class ExclusionRow:
    uscc: str
    inspector_id: str
    reason: str


@dataclass(frozen=True)
class Cancellation:
    draw_id: str
    reason: str
    author: str
    cancelled_at: dt.datetime


class DrawBook:
    """The draws of one results store (its engine)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def write(self, draw: DrawRow, population: Sequence[PopulationRow],
              targets: Sequence[TargetRow], assignments: Sequence[AssignmentRow],
              exclusions: Sequence[ExclusionRow]) -> None:
        """Store one draw whole, in one transaction."""
        with self.engine.begin() as connection:
            connection.execute(sa.insert(draws), [_as_dict(draw)])
            for table, rows in ((draw_population, population), (draw_targets, targets),
                                (draw_assignments, assignments),
                                (draw_exclusions, exclusions)):
                values = [{"draw_id": draw.draw_id, **_as_dict(row)} for row in rows]
                for start in range(0, len(values), CHUNK):
                    connection.execute(sa.insert(table), values[start:start + CHUNK])

    def get(self, draw_id: str) -> DrawRow | None:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(draws).where(draws.c.draw_id == draw_id)).first()
        return _draw(row._mapping) if row else None

    def of_period(self, period: dt.date) -> list[DrawRow]:
        query = sa.select(draws).where(draws.c.period == period).order_by(
            draws.c.created_at, draws.c.draw_id)
        with self.engine.connect() as connection:
            return [_draw(r._mapping) for r in connection.execute(query)]

    def population(self, draw_id: str) -> list[PopulationRow]:
        return self._rows(draw_population, PopulationRow, draw_id)

    def targets(self, draw_id: str) -> list[TargetRow]:
        return self._rows(draw_targets, TargetRow, draw_id)

    def assignments(self, draw_id: str) -> list[AssignmentRow]:
        return self._rows(draw_assignments, AssignmentRow, draw_id)

    def exclusions(self, draw_id: str) -> list[ExclusionRow]:
        return self._rows(draw_exclusions, ExclusionRow, draw_id)

    def _rows(self, table: sa.Table, kind: type, draw_id: str) -> list:
        names = [c.name for c in table.columns if c.name != "draw_id"]
        query = sa.select(*(table.c[n] for n in names)).where(
            table.c.draw_id == draw_id).order_by(*(table.c[n] for n in names[:2]))
        with self.engine.connect() as connection:
            return [kind(**r._mapping) for r in connection.execute(query)]

    def of_enterprise(self, uscc: str, limit: int = 50) -> list[tuple[DrawRow, TargetRow]]:
        """The draws that targeted ``uscc``, newest first, each with its target row."""
        names = [c.name for c in draw_targets.columns if c.name != "draw_id"]
        query = (sa.select(draws, *(draw_targets.c[n].label(f"target_{n}") for n in names))
                 .join(draw_targets, draw_targets.c.draw_id == draws.c.draw_id)
                 .where(draw_targets.c.uscc == uscc)
                 .order_by(draws.c.period.desc(), draws.c.created_at.desc()).limit(limit))
        with self.engine.connect() as connection:
            rows = [r._mapping for r in connection.execute(query)]
        return [(_draw({k: v for k, v in r.items() if not k.startswith("target_")}),
                 TargetRow(**{n: r[f"target_{n}"] for n in names})) for r in rows]

    def cancellation(self, draw_id: str) -> Cancellation | None:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(draw_cancellations).where(
                draw_cancellations.c.draw_id == draw_id)).first()
        return _cancellation(row._mapping) if row else None

    def cancellations(self, draw_ids: Iterable[str]) -> dict[str, Cancellation]:
        wanted = list(draw_ids)
        if not wanted:
            return {}
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(draw_cancellations).where(
                draw_cancellations.c.draw_id.in_(wanted)))
            return {r.draw_id: _cancellation(r._mapping) for r in rows}

    def cancel(self, draw_id: str, reason: str, author: str, at: dt.datetime) -> Cancellation:
        """Append the draw's cancellation; an `sa.exc.IntegrityError` when it has one."""
        entry = Cancellation(draw_id, reason, author, at)
        with self.engine.begin() as connection:
            connection.execute(sa.insert(draw_cancellations), [_as_dict(entry)])
        return entry

    def _live(self, since: dt.date, before: dt.datetime) -> sa.Select:
        """Draws dated ``since`` or later, created before ``before`` and not cancelled by
        then."""
        return sa.select(draws.c.draw_id).where(
            draws.c.drawn_on >= since, draws.c.created_at < before,
            ~sa.exists().where(draw_cancellations.c.draw_id == draws.c.draw_id,
                               draw_cancellations.c.cancelled_at < before))

    def recent_targets(self, since: dt.date, before: dt.datetime) -> set[str]:
        """Enterprises drawn by draws (not cancelled) dated ``since`` or later and created
        before ``before``."""
        live = self._live(since, before)
        query = sa.select(draw_targets.c.uscc).where(draw_targets.c.draw_id.in_(live))
        with self.engine.connect() as connection:
            return set(connection.execute(query).scalars())

    def recent_pairs(self, since: dt.date, before: dt.datetime) -> set[tuple[str, str]]:
        """(inspector, enterprise) pairs assigned by draws (not cancelled) dated ``since`` or
        later and created before ``before``."""
        live = self._live(since, before)
        query = sa.select(draw_assignments.c.inspector_id, draw_assignments.c.uscc).where(
            draw_assignments.c.draw_id.in_(live))
        with self.engine.connect() as connection:
            return {(r.inspector_id, r.uscc) for r in connection.execute(query)}


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stored moment is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _draw(mapping: Any) -> DrawRow:
    values = dict(mapping)
    values["created_at"] = _utc(values["created_at"])
    return DrawRow(**values)


def _cancellation(mapping: Any) -> Cancellation:
    values = dict(mapping)
    values["cancelled_at"] = _utc(values["cancelled_at"])
    return Cancellation(**values)


def _as_dict(row: Any) -> dict[str, Any]:
    return dict(row.__dict__)

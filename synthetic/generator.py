"""Orchestration: build the province, simulate month by month, write the five tables."""

from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from features.contract import TABLES
from synthetic import licences, network, tables
from synthetic.calendar import Period
from synthetic.chunks import INSPECTION_FIELDS, RECORD_FIELDS, TYPE_INDEX, Columns, concat, take
from synthetic.dirty import Corruptor
from synthetic.events import NEVER, Simulator
from synthetic.inspections import ITEMS
from synthetic.population import build_enterprises
from synthetic.regions import henan
from synthetic.risk import base_risk
from synthetic.roster import build_roster, inspection_teams
from synthetic.scenarios import scenario as scenario_named
from synthetic.writer import FORMATS, PARQUET_OPTIONS, Sink, open_sink, stringify

HIDDEN_FILE = "_hidden_risk.parquet"


@dataclass(frozen=True)
class SynthSummary:
    """What ``generate`` wrote: rows per table (duplicates included), dirty rows per table,
    and the simulated period."""

    rows: dict[str, int]
    dirty_rows: dict[str, int]
    period_start: dt.date
    period_end: dt.date


class _Output:
    """The five table sinks, with optional corruption of text tables."""

    def __init__(self, out_dir: Path, fmt: str, corruptor: Corruptor | None) -> None:
        self.corruptor = corruptor
        self.sinks: dict[str, Sink] = {}
        self.dirty = dict.fromkeys(TABLES, 0)
        for name, table in TABLES.items():
            schema = table.arrow_schema()
            if corruptor is not None:
                schema = pa.schema([pa.field(f.name, pa.string()) for f in schema])
            self.sinks[name] = open_sink(out_dir / f"{name}.{fmt}", fmt, schema)

    def write(self, name: str, table: pa.Table) -> None:
        if self.corruptor is not None:
            table, bad = self.corruptor.apply(stringify(table), name)
            self.dirty[name] += bad
        self.sinks[name].write(table)

    def close(self) -> dict[str, int]:
        for sink in self.sinks.values():
            sink.close()
        return {name: sink.rows for name, sink in self.sinks.items()}


def _licence_types(rng: np.random.Generator, held: np.ndarray, records: Columns) -> np.ndarray:
    """Index into the licence types of each record (-1: not a licence record)."""
    is_licence = records["rtype"] == TYPE_INDEX["licence"]
    types = np.full(is_licence.size, -1, np.int8)
    types[is_licence] = licences.licence_types(rng, held, records["ent"][is_licence])
    return types


def record_id_prefix(*, seed: int, enterprises: int, months: int, end_month: str) -> str:
    """The record-id prefix of one province: its generation arguments (corruption and format
    aside), so that two provinces never share a record id — ingesting both into one store
    keeps every record with its own enterprise."""
    return f"R-s{seed}-{enterprises}x{months}-{end_month}-"


def generate(out_dir: Path, *, enterprises: int, months: int, seed: int, dirty: float = 0.0,
             end_month: str = "2025-12", fmt: str = "parquet",
             progress: bool = False, scenario: str = "default") -> SynthSummary:
    """Write a synthetic Henan province: ``enterprises.<fmt>``, ``records.<fmt>``,
    ``relations.<fmt>``, ``inspections.<fmt>``, the inspectors' roster ``inspectors.<fmt>``
    (`synthetic.roster`) and ``_hidden_risk.parquet`` into ``out_dir``.

    ``scenario`` picks the causal structure (`synthetic.scenarios`). Same arguments give
    byte-identical files. With ``dirty`` = f > 0 about a fraction f of
    each table's rows are corrupted or duplicated and every column is written as text.
    """
    if enterprises < 1:
        raise ValueError(f"enterprises: expected ≥ 1, found {enterprises}")
    if not 0.0 <= dirty < 1.0:
        raise ValueError(f"dirty: expected a fraction in [0, 1), found {dirty}")
    if fmt not in FORMATS:
        raise ValueError(f"fmt: expected one of {', '.join(FORMATS)}, found {fmt!r}")
    story = scenario_named(scenario)
    period = Period(end_month, months)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seeds = np.random.SeedSequence(seed).spawn(8)  # children by index: adding one keeps the rest
    rng_pop, rng_net, rng_risk, rng_sim, rng_dirty, rng_roster, rng_licence, rng_teams = (
        np.random.default_rng(s) for s in seeds)
    started = time.perf_counter()

    def say(message: str) -> None:
        if progress:
            print(f"[synth {time.perf_counter() - started:7.1f}s] {message}", file=sys.stderr)

    geo = henan()
    ent = build_enterprises(rng_pop, enterprises, period, geo)
    rel = network.build_relations(rng_net, ent, geo.prefecture_of[ent.region], period)
    lr_z, sh_z = network.person_risk_by_enterprise(rel, ent.n)
    risk = base_risk(rng_risk, ent, geo.prefecture_of, len(geo.codes), len(geo.prefectures),
                     lr_z, sh_z, period, story)
    rel = network.plan_changes(rng_net, rel, ent, risk, period)
    say(f"population: {ent.n} enterprises, {rel.n_persons} persons, {rel.ent.size} relations")

    held = licences.candidates(rng_licence, ent)
    sim = Simulator(rng_sim, period, geo, ent, rel, risk, story)
    corruptor = Corruptor(rng_dirty, dirty, period.end_day) if dirty > 0 else None
    out = _Output(out_dir, fmt, corruptor)
    labels = geo.department_labels
    id_prefix = record_id_prefix(seed=seed, enterprises=enterprises, months=months,
                                 end_month=end_month)
    item_names = pa.array(ITEMS, pa.string())
    pending: Columns = concat([], {**RECORD_FIELDS, "collected": np.int32, "seq": np.int64})
    inspections: list[tuple[Columns, np.ndarray]] = []
    try:
        for t in range(months):
            records, insp, items = sim.step(t)
            pending = concat([pending, records], {k: v.dtype for k, v in records.items()})
            _, last_day = period.bounds(t)
            due = pending["collected"] <= last_day
            ready = take(pending, np.flatnonzero(due))
            pending = take(pending, np.flatnonzero(~due))
            order = np.lexsort((ready["seq"], ready["collected"]))
            details = pa.array(sim.details.items, pa.string())
            ready = take(ready, order)
            ready["licence"] = _licence_types(rng_licence, held, ready)
            out.write("records", tables.records_table(ready, ent.uscc, labels, details,
                                                      id_prefix))
            inspections.append((insp, items))
            say(f"month {period.label(t)}: {order.size} records written, "
                f"{pending['ent'].size} pending")
        # Records not collected by the period end are not in the export.
        status = sim.status.copy()
        end = np.where(sim.death == NEVER, np.iinfo(np.int32).max, sim.death)
        out.write("enterprises", tables.enterprises_table(ent, geo, status, sim.death))
        final = network.finalize(rel, end)
        out.write("relations", tables.relations_table(final, ent.uscc))
        roster = build_roster(rng_roster, geo, ent, final)
        out.write("inspectors", roster)
        # The inspections wait for the roster, which names who carried them out.
        insp = concat([c for c, _ in inspections], INSPECTION_FIELDS)
        items = np.concatenate([i for _, i in inspections]).astype(np.int16)
        teams = inspection_teams(rng_teams, roster, geo, ent, final, labels, insp["ent"],
                                 insp["dept"], insp["n_items"], items)
        draws = pa.array(sim.draws.items, pa.string())
        out.write("inspections", tables.inspections_table(insp, items, draws, ent.uscc,
                                                          labels, item_names, teams))
    finally:
        rows = out.close()
    hidden = tables.hidden_table(ent.uscc, sim.hidden_risk(), risk)
    pq.write_table(hidden, out_dir / HIDDEN_FILE, **PARQUET_OPTIONS)
    say(f"done: {rows}")
    return SynthSummary(rows=rows, dirty_rows=dict(out.dirty), period_start=period.start,
                        period_end=period.end)

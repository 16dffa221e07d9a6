"""Features of a few enterprises at a date, from a store version held in memory.

`EnterpriseFeatures` is opened once per store version (a service holds one) and answers
``compute(usccs, as_of)`` with exactly the rows and columns that
`features.engines.compute_features` gives those enterprises, by running the same Ibis
definitions (`features.engineering.build`) on the few input rows they read:

- the enterprises themselves: their enterprise row, records and spot-check draws;
- their related parties: every current relation row of theirs, every relation row of each
  person they share (so a person's degree and sums are complete), the relations in which they
  are an enterprise shareholder, and the enterprise row and records of every enterprise
  reached so (the facts their related-party features read).

Every table is kept sorted by its key with the row range of each key, so gathering those rows
is a binary search and one ``take``; text columns of the records are dictionary-encoded and
their enterprise code is replaced by the row ranges, which keeps about 35 bytes per record
(≈1 GiB for a province of 30 M records). The definitions are compiled to DuckDB SQL once per
as-of date (a few seconds; the last few dates are kept; the store's data end at opening) and
prepared on tables that each call refills with the gathered rows, with one change that DuckDB
needs at this size: aggregates ``f(x) FILTER (WHERE c)`` are written
``f(CASE WHEN c THEN x END)``, which gives the same values over the same rows (nulls are
ignored by aggregates either way) and avoids a per-filter cost that dominates small inputs.
"""

from __future__ import annotations

import datetime as dt
import functools
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlglot.expressions as sge

from features.contract import TABLES
from features.coverage import check_covered
from features.engineering.build import assemble, record_features
from features.joined_calls import JoinedCalls
from features.materialised import MaterialisedFeatures, materialise
from features.store import Store

COLUMNS = {
    "enterprises": ("uscc", "region_code", "industry_code", "enterprise_type",
                    "registered_capital", "established_on", "deregistered_on", "domain_tags"),
    "records": ("uscc", "record_type", "occurred_on", "collected_on", "severity", "amount",
                "outcome", "removed_on", "repaired_on", "revoked_on"),
    "relations": ("uscc", "role", "party_kind", "party_id", "started_on", "ended_on"),
    "inspections": ("uscc", "inspected_on", "draw_id"),
}
"""The columns the feature definitions read; the definitions are compiled against exactly
these, so a definition that starts reading another column fails to compile, loudly."""
ENCODED = {"records": ("record_type", "outcome"), "relations": ("role", "party_kind")}
"""Low-cardinality text held dictionary-encoded and decoded for the gathered rows only."""
STATISTICS_OPTIMIZERS = ("statistics_propagation", "compressed_materialization",
                         "empty_result_pullup")
"""DuckDB optimisers that plan from the data's statistics, off for prepared statements."""
KEPT_DATES = 8
"""Compiled as-of dates kept (the latest date is asked for almost always)."""


@dataclass(frozen=True)
class FewFeatures:
    table: pa.Table
    """uscc, as_of and every catalog feature, one row per enterprise alive at the date, sorted
    by uscc: the rows `compute_features` gives them."""
    missing: tuple[str, ...]
    """Codes asked for that name no enterprise alive at the date, in the order asked."""


@dataclass(frozen=True)
class _Runs:
    """The distinct values of a sorted text key and the row range of each."""

    keys: npt.NDArray[np.bytes_]
    bounds: npt.NDArray[np.int64]
    """Rows ``bounds[i]:bounds[i + 1]`` hold ``keys[i]``."""

    @classmethod
    def of(cls, sorted_keys: pa.ChunkedArray) -> _Runs:
        if len(sorted_keys) == 0:
            return cls(np.array([], dtype="S1"), np.zeros(1, np.int64))
        runs = pc.run_end_encode(sorted_keys.combine_chunks())
        keys = np.array([v.encode() for v in runs.values.to_pylist()])
        return cls(keys, np.concatenate([[0], runs.run_ends.to_numpy().astype(np.int64)]))

    def index_of(self, wanted: Sequence[str]) -> npt.NDArray[np.int64]:
        """The index of each of ``wanted`` among the keys, −1 for a key absent."""
        if not len(wanted) or not len(self.keys):
            return np.full(len(wanted), -1, np.int64)
        values = np.array([w.encode() for w in wanted])
        found = np.minimum(np.searchsorted(self.keys, values), len(self.keys) - 1)
        # Compared with the untruncated values: searchsorted casts to the keys' width.
        return np.where(self.keys[found] == values, found, -1).astype(np.int64)

    def positions(self, wanted: Sequence[str]) -> npt.NDArray[np.int64]:
        """Row positions of every row whose key is among ``wanted``, each row once, in order."""
        index = self.index_of(sorted(set(wanted)))
        index = index[index >= 0]
        return _ranges(self.bounds[index], self.bounds[index + 1])


def _sorted(table: pa.Table, key: str) -> tuple[pa.Table, _Runs]:
    table = table.take(pc.sort_indices(table[key]))
    return table, _Runs.of(table[key])


def _ranges(starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
            ) -> npt.NDArray[np.int64]:
    """Concatenated ``range(start, end)`` for every pair, vectorised."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return offsets + np.arange(total, dtype=np.int64)


def _span(records: pa.Table) -> tuple[dt.date, dt.date]:
    """First formation date and last collection date of the records."""
    if records.num_rows == 0:
        raise ValueError("the store holds no records")
    return pc.min(records["occurred_on"]).as_py(), pc.max(records["collected_on"]).as_py()


def _read(store: Store, name: str) -> pa.Table:
    """The table's columns the definitions read, with low-cardinality text encoded."""
    schema = TABLES[name].arrow_schema()
    path = store.table_path(name)
    columns = COLUMNS[name]
    if path is None:
        table = pa.table({c: pa.array([], schema.field(c).type) for c in columns})
    else:
        table = pq.read_table(path, columns=list(columns))
    for column in ENCODED.get(name, ()):
        table = table.set_column(table.column_names.index(column), column,
                                 pc.dictionary_encode(table[column]).combine_chunks())
    return table


def _decoded(table: pa.Table, name: str) -> pa.Table:
    for column in ENCODED.get(name, ()):
        table = table.set_column(table.column_names.index(column), column,
                                 table[column].cast(pa.string()))
    return table


def _without_aggregate_filters(node: sge.Expression) -> sge.Expression:
    """``f(x) FILTER (WHERE c)`` → ``f(CASE WHEN c THEN x END)`` (``COUNT(*)`` counts
    ``CASE WHEN c THEN 1 END``): the same value, since aggregates skip nulls."""
    if not isinstance(node, sge.Filter):
        return node
    aggregate, condition = node.this.copy(), node.expression.this
    if isinstance(aggregate, sge.Count) and isinstance(aggregate.this, sge.Star):
        return sge.Count(this=sge.Case(ifs=[sge.If(this=condition, true=sge.convert(1))]))
    aggregate.set("this", sge.Case(ifs=[sge.If(this=condition, true=aggregate.this)]))
    return aggregate


class EnterpriseFeatures:
    """The features of a few enterprises at any covered date, from one pinned store version.

    Thread-safe: concurrent `compute` calls join one run (`features.joined_calls`); a run
    takes a session (a DuckDB cursor with its own tables and prepared statements) from a
    pool, which grows when every session is busy (what-ifs run beside `compute`).

    With ``materialise``, every enterprise's features at the data end are computed in the
    background (`features.materialised`, shared with other processes through a file);
    once they are ready, `compute` at the data end is a lookup of the same rows.
    """

    def __init__(self, store: Store, threads: int = 1, materialise: bool = False) -> None:
        self.store = store.pinned()
        self.version = self.store.version
        self._enterprises, self._enterprise_runs = _sorted(_read(self.store, "enterprises"),
                                                           "uscc")
        records = _read(self.store, "records")
        self.data_start, self.data_end = _span(records)
        # Records of a code that is no enterprise feed no feature: they are not kept, and the
        # code of the others is their enterprise's row range.
        key = pc.index_in(records["uscc"], value_set=self._enterprises["uscc"])
        records = records.drop_columns(["uscc"]).filter(pc.is_valid(key))
        key = pc.drop_null(key).to_numpy().astype(np.int32)
        order = np.argsort(key, kind="stable")
        self._records = records.take(order)
        self._record_bounds = np.searchsorted(
            key[order], np.arange(self._enterprises.num_rows + 1)).astype(np.int64)
        del key, order, records
        self._relations, self._relation_runs = _sorted(_read(self.store, "relations"), "uscc")
        order = pc.sort_indices(self._relations["party_id"])
        self._party_runs = _Runs.of(self._relations["party_id"].take(order))
        self._party_rows = order.to_numpy().astype(np.int64)
        self._inspections, self._inspection_runs = _sorted(_read(self.store, "inspections"),
                                                           "uscc")
        self._database = duckdb.connect(config={"threads": threads})
        # Statements are prepared once and run on other rows: nothing may be planned from the
        # statistics of the rows present when preparing (pruned filters, empty results,
        # values compressed to the range then seen, perfect-hash groups).
        self._database.execute(f"SET disabled_optimizers = '{','.join(STATISTICS_OPTIMIZERS)}'")
        self._sessions: queue.SimpleQueue[_Session] = queue.SimpleQueue()
        # The date asked for almost always is compiled and prepared now.
        self._sessions.put(_Session(self._database, self.data_end))
        self._joined: JoinedCalls[FewFeatures] = JoinedCalls(self._compute_now, _part)
        self.materialised: MaterialisedFeatures | None = None
        self.materialise_error: str | None = None
        self._materialised_done = threading.Event()
        if materialise:
            threading.Thread(target=self._materialise, daemon=True,
                             name="features-materialise").start()
        else:
            self._materialised_done.set()

    def _materialise(self) -> None:
        try:
            path = materialise(self.store, self.data_end, compiled(self.data_end).schema)
            self.materialised = MaterialisedFeatures(path)
        except Exception as error:  # the few-enterprise path keeps serving
            self.materialise_error = f"{type(error).__name__}: {error}"
        finally:
            self._materialised_done.set()

    def wait_materialised(self, timeout: float | None = None) -> bool:
        """Wait until the background materialisation ended; whether it is ready."""
        self._materialised_done.wait(timeout)
        return self.materialised is not None

    @property
    def enterprises(self) -> int:
        return self._enterprises.num_rows

    @property
    def records(self) -> int:
        return self._records.num_rows

    def held_bytes(self) -> int:
        """Bytes of the tables and indexes this reader holds."""
        tables = (self._enterprises, self._records, self._relations, self._inspections)
        runs = (self._enterprise_runs, self._relation_runs, self._party_runs,
                self._inspection_runs)
        return (sum(t.nbytes for t in tables) + sum(r.keys.nbytes + r.bounds.nbytes
                                                    for r in runs)
                + self._record_bounds.nbytes + self._party_rows.nbytes)

    def region_codes(self, usccs: Sequence[str]) -> dict[str, str]:
        """The registering division code of each of ``usccs`` the store holds."""
        index = self._enterprise_runs.index_of(list(usccs))
        held = [(code, int(i)) for code, i in zip(usccs, index, strict=True) if i >= 0]
        codes = self._enterprises["region_code"].take(
            pa.array([i for _, i in held], pa.int64())).to_pylist()
        return {code: region for (code, _), region in zip(held, codes, strict=True)}

    def require_covered(self, when: dt.date, option: str = "--as-of") -> dt.date:
        """`features.coverage.require_covered`, from the span of the records held."""
        return check_covered(self.store, when, self.data_start, self.data_end, option)

    def compute(self, usccs: Sequence[str], as_of: dt.date, option: str = "as_of"
                ) -> FewFeatures:
        """The features of ``usccs`` (codes as stored; a repeat counts once) at ``as_of``.

        Raises `features.coverage.DateOutsideData` naming ``option`` for a date the store's
        records do not cover.
        """
        self.require_covered(as_of, option)
        wanted = list(dict.fromkeys(usccs))
        ready = self.materialised
        if ready is not None and as_of == self.data_end:
            table = ready.rows(wanted)
            found = set(table["uscc"].to_pylist())
            return FewFeatures(table, tuple(u for u in wanted if u not in found))
        return self._joined(as_of, wanted)

    @property
    def runs(self) -> int:
        """Feature runs made for `compute` (concurrent calls join one run)."""
        return self._joined.runs

    def _compute_now(self, as_of: dt.date, wanted: list[str]) -> FewFeatures:
        return self._run(as_of, self._inputs(wanted), wanted)

    def compute_amended(self, uscc: str, as_of: dt.date,
                        amend: Callable[[pa.Table], pa.Table], option: str = "as_of"
                        ) -> FewFeatures:
        """`compute` for one enterprise as if its own records were ``amend(records)``: the
        function receives them as `records_of` gives them (same rows, same order) and returns
        the records to compute from (a what-if, e.g. a record repaired or removed from a
        list); the related parties' records are read as held."""
        self.require_covered(as_of, option)
        inputs = self._inputs([uscc])
        records = inputs["records"]
        own = pc.fill_null(pc.equal(records["uscc"], uscc), False)
        amended = amend(records.filter(own)).select(records.column_names).cast(records.schema)
        inputs["records"] = pa.concat_tables([records.filter(pc.invert(own)), amended])
        return self._run(as_of, inputs, [uscc])

    def enterprise(self, uscc: str) -> dict[str, Any] | None:
        """The enterprise's row as held (the columns of ``COLUMNS['enterprises']``); None
        when the store version holds no such enterprise."""
        index = self._enterprise_runs.index_of([uscc])
        if index[0] < 0:
            return None
        return self._enterprises.take(index).to_pylist()[0]

    def records_of(self, uscc: str) -> pa.Table:
        """The enterprise's records as held (``uscc`` and the columns of
        ``COLUMNS['records']``), in the order the reader keeps them; empty when none."""
        index = self._enterprise_runs.index_of([uscc])
        start = end = 0
        if index[0] >= 0:
            start, end = (int(b) for b in self._record_bounds[[index[0], index[0] + 1]])
        records = _decoded(self._records.slice(start, end - start), "records")
        return records.add_column(0, "uscc", pa.array([uscc] * (end - start), pa.string()))

    def _run(self, as_of: dt.date, inputs: dict[str, pa.Table], wanted: list[str]
             ) -> FewFeatures:
        try:
            session = self._sessions.get_nowait()
        except queue.Empty:  # every session is busy on another thread
            session = _Session(self._database, as_of)
        try:
            return session.run(as_of, inputs, wanted)
        finally:
            self._sessions.put(session)

    def _inputs(self, wanted: list[str]) -> dict[str, pa.Table]:
        """The rows the definitions read for ``wanted``: theirs and their related parties'."""
        own = self._relation_runs.positions(wanted)
        kind = self._relations["party_kind"].take(own).cast(pa.string())
        party = self._relations["party_id"].take(own)
        persons = pc.filter(party, pc.equal(kind, "person")).to_pylist()
        investors = pc.filter(party, pc.equal(kind, "enterprise")).to_pylist()
        # Every row of a person they share, and the rows where they hold a stake.
        shared = self._party_rows[self._party_runs.positions([*persons, *wanted])]
        relations = _decoded(self._relations.take(np.unique(np.concatenate([own, shared]))),
                             "relations")
        linked = pc.filter(relations["uscc"], pc.equal(relations["party_kind"], "person"))
        index = self._enterprise_runs.index_of(sorted({*wanted, *investors,
                                                       *linked.to_pylist()}))
        index = index[index >= 0]
        enterprises = self._enterprises.take(index)
        starts, ends = self._record_bounds[index], self._record_bounds[index + 1]
        records = _decoded(self._records.take(_ranges(starts, ends)), "records")
        codes = enterprises["uscc"].take(np.repeat(np.arange(len(index)), ends - starts))
        inspections = self._inspections.take(self._inspection_runs.positions(wanted))
        return {"enterprises": enterprises, "records": records.add_column(0, "uscc", codes),
                "relations": relations, "inspections": inspections}

    def close(self) -> None:
        self._database.close()


@dataclass(frozen=True)
class _Compiled:
    """The definitions at one date as DuckDB SQL over the ``few_*`` tables."""

    record_sql: str
    record_schema: pa.Schema
    assemble_sql: str
    schema: pa.Schema


def _run(cursor: duckdb.DuckDBPyConnection, compiled: _Compiled, inputs: dict[str, pa.Table],
         wanted: list[str]) -> FewFeatures:
    """The definitions over the gathered rows (registered as views), kept to those wanted."""
    for name, table in inputs.items():
        cursor.register(f"few_{name}", table)
    part = cursor.execute(compiled.record_sql).to_arrow_table()
    cursor.register("few_record_part", part.cast(compiled.record_schema))
    return _kept(cursor.execute(compiled.assemble_sql).to_arrow_table(), compiled, wanted)


class _Session:
    """A DuckDB cursor with ``few_*`` tables and the definitions prepared on them, by date:
    the rows change on every call but the tables do not, so a prepared statement is planned
    once (planning is most of the time at a handful of rows)."""

    def __init__(self, database: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
        self.cursor = database.cursor()
        self.prepared: OrderedDict[dt.date, str] = OrderedDict()
        self.columns: dict[str, list[str]] = {}
        for name, columns in (*COLUMNS.items(), ("record_part", ())):
            if columns:
                schema = TABLES[name].arrow_schema()
                empty = pa.schema([schema.field(c).with_nullable(True) for c in columns])
            else:  # the same columns at every date
                empty = compiled(as_of).record_schema
            self.cursor.register("empty", empty.empty_table())
            self.cursor.execute(f"CREATE TEMP TABLE few_{name} AS SELECT * FROM empty")
            self.columns[name] = empty.names
        self.cursor.unregister("empty")
        self._statement(as_of)

    def _statement(self, as_of: dt.date) -> str:
        if as_of in self.prepared:
            self.prepared.move_to_end(as_of)
            return self.prepared[as_of]
        sql = compiled(as_of)
        name = f"d{as_of:%Y%m%d}"
        # The per-enterprise record aggregates go straight into few_record_part, cast to its
        # column types by the insert (no round trip through Arrow for one wide row).
        columns = ", ".join(f'"{c}"' for c in self.columns["record_part"])
        self.cursor.execute(f"PREPARE part_{name} AS INSERT INTO few_record_part ({columns}) "
                            f"SELECT {columns} FROM ({sql.record_sql})")
        self.cursor.execute(f"PREPARE whole_{name} AS {sql.assemble_sql}")
        self.prepared[as_of] = name
        while len(self.prepared) > KEPT_DATES:
            _, old = self.prepared.popitem(last=False)
            self.cursor.execute(f"DEALLOCATE part_{old}")
            self.cursor.execute(f"DEALLOCATE whole_{old}")
        return name

    def _fill(self, inputs: dict[str, pa.Table]) -> None:
        """Replace the rows of every ``few_*`` table (emptied in one call) with ``inputs``'
        (``few_record_part`` is refilled from them). Registering views would change the
        catalog and make DuckDB plan every prepared statement again."""
        self.cursor.execute("; ".join(f"DELETE FROM few_{name}"
                                      for name in (*inputs, "record_part")))
        for name, table in inputs.items():
            self.cursor.from_arrow(table.select(self.columns[name])).insert_into(f"few_{name}")

    def run(self, as_of: dt.date, inputs: dict[str, pa.Table], wanted: list[str]
            ) -> FewFeatures:
        name = self._statement(as_of)
        self._fill(inputs)
        self.cursor.execute(f"EXECUTE part_{name}")
        whole = self.cursor.execute(f"EXECUTE whole_{name}").to_arrow_table()
        return _kept(whole, compiled(as_of), wanted)


def _part(few: FewFeatures, codes: list[str]) -> FewFeatures:
    """The rows and missing codes of ``codes`` among those of a joined run."""
    table = few.table.filter(pc.is_in(few.table["uscc"], pa.array(codes, pa.string())))
    found = set(table["uscc"].to_pylist())
    return FewFeatures(table, tuple(c for c in codes if c not in found))


def _kept(table: pa.Table, compiled: _Compiled, wanted: list[str]) -> FewFeatures:
    """The rows of ``wanted`` sorted by code, in the expression's types (as Ibis gives the
    batch: DuckDB sums integers to 128 bits)."""
    table = table.cast(compiled.schema)
    table = table.filter(pc.is_in(table["uscc"], pa.array(wanted, pa.string())))
    table = table.take(pc.sort_indices(table["uscc"]))
    found = set(table["uscc"].to_pylist())
    return FewFeatures(table, tuple(u for u in wanted if u not in found))


@functools.lru_cache(maxsize=KEPT_DATES)
def compiled(as_of: dt.date) -> _Compiled:
    """The definitions at ``as_of`` compiled to SQL (a few seconds; the last dates kept)."""
    tables = {}
    for name, columns in COLUMNS.items():
        schema = TABLES[name].arrow_schema()
        tables[name] = ibis.table(ibis.schema(pa.schema([schema.field(c) for c in columns])),
                                  name=f"few_{name}")
    part = record_features(tables["records"], as_of)
    whole = assemble(tables["enterprises"], ibis.table(part.schema(), name="few_record_part"),
                     tables["relations"], tables["inspections"], as_of)
    return _Compiled(_sql(part), part.schema().to_pyarrow(), _sql(whole),
                     whole.schema().to_pyarrow())


def _sql(expression: ir.Table) -> str:
    compiler: Any = ibis.duckdb.connect().compiler
    tree = compiler.to_sqlglot(expression)
    return tree.transform(_without_aggregate_filters).sql(dialect="duckdb")


def features_of(store: Store, usccs: Sequence[str], as_of: dt.date,
                option: str = "--as-of") -> FewFeatures:
    """`EnterpriseFeatures.compute` for a one-off question: the same rows gathered by
    filtered scans of the store's files instead of a reader's index (seconds at a million
    enterprises, where opening a reader takes a minute). Pins the store version read."""
    store = store.pinned()
    wanted = list(dict.fromkeys(usccs))
    with store.connect() as connection:
        start, end = connection.execute(
            "SELECT min(occurred_on), max(collected_on) FROM records").fetchone()
        if start is None:
            raise ValueError(f"{store.root}: the store holds no records")
        check_covered(store, as_of, start, end, option)
        inputs = _scanned(connection, store, wanted)
        return _run(connection, compiled(as_of), inputs, wanted)


def _scanned(connection: duckdb.DuckDBPyConnection, store: Store, wanted: list[str]
             ) -> dict[str, pa.Table]:
    """`EnterpriseFeatures._inputs`, by filtered scans of the store's tables."""

    def rows(name: str, where: str, **codes: list[str]) -> pa.Table:
        if store.table_path(name) is None:
            schema = TABLES[name].arrow_schema()
            return pa.table({c: pa.array([], schema.field(c).type) for c in COLUMNS[name]})
        for key, values in codes.items():
            connection.register(key, pa.table({"code": pa.array(values, pa.string())}))
        return connection.execute(
            f"SELECT {', '.join(COLUMNS[name])} FROM {name} WHERE {where}").to_arrow_table()

    own = rows("relations", "uscc IN (SELECT code FROM wanted)", wanted=wanted)
    persons = pc.filter(own["party_id"], pc.equal(own["party_kind"], "person")).to_pylist()
    investors = pc.filter(own["party_id"], pc.equal(own["party_kind"], "enterprise"))
    relations = rows("relations", "uscc IN (SELECT code FROM wanted) OR party_id IN "
                     "(SELECT code FROM parties)", wanted=wanted, parties=[*persons, *wanted])
    linked = pc.filter(relations["uscc"], pc.equal(relations["party_kind"], "person"))
    reached = sorted({*wanted, *investors.to_pylist(), *linked.to_pylist()})
    return {
        "enterprises": rows("enterprises", "uscc IN (SELECT code FROM reached)",
                            reached=reached),
        "records": rows("records", "uscc IN (SELECT code FROM reached)", reached=reached),
        "relations": relations,
        "inspections": rows("inspections", "uscc IN (SELECT code FROM wanted)", wanted=wanted),
    }

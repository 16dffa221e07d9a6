"""The service's queries against the results database and the index each should use: the
index plan of docs/results-database.md, checked by its tests and printed by
``bench/periods.py --plans``.

Each `Lookup` calls the `ResultsStore` method a use case calls, captures the statement the
store sends (and its parameters) and asks the database for its plan (SQLite ``EXPLAIN QUERY
PLAN``, PostgreSQL ``EXPLAIN``), so the plan shown is that of the very query served.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from serving.results.store import ResultSelection, ResultsStore


@dataclass(frozen=True)
class Sample:
    """What the lookups read: a published run, its period, an enterprise of it."""

    run_id: str
    period: dt.date
    uscc: str


@dataclass(frozen=True)
class Lookup:
    query: str
    made_by: str
    """The use cases (and the faces) that make it."""
    index: str
    """The index that must serve it (on PostgreSQL: it or its partitions' copies)."""
    table: str
    call: Callable[[ResultsStore, Sample], Any]
    per_run: bool = True
    """Confined to the run's period: on PostgreSQL one month's partition is read (of a
    partitioned table)."""
    ordered: bool = True
    """Its order is the index's: the rows are never sorted (keyset reads, first rows)."""
    also: tuple[str, ...] = ()
    """Other indexes that serve it as well: inside one run's partition on PostgreSQL,
    (uscc, period) orders and bounds the rows as the primary key does."""


PARTITION_ORDER = ("ix_results_uscc_period",)

LOOKUPS = (
    Lookup("an enterprise's history (every published period)",
           "enterprise_history, enterprise_record: GET /v1/enterprises/{uscc}, the enterprise "
           "page, `ecr history`", "ix_results_uscc_period", "results",
           lambda s, x: s.history(x.uscc), per_run=False, ordered=False),
    Lookup("an enterprise's published result in a period",
           "stored_explanation, explain_published: GET /v1/enterprises/{uscc}/explanation",
           "results_pkey", "results",
           lambda s, x: s.published_result(x.uscc, x.period), per_run=False,
           ordered=False, also=PARTITION_ORDER),
    Lookup("the latest class of a few enterprises", "search_enterprises: GET /v1/enterprises,"
           " the search page", "ix_results_uscc_period", "results",
           lambda s, x: s.latest_levels([x.uscc]), per_run=False, ordered=False),
    Lookup("a page of a run's results (keyset by uscc)",
           "classification_page: GET /v1/classifications, the classifications page",
           "results_pkey", "results", lambda s, x: s.result_page(x.run_id, x.uscc, 1001),
           also=PARTITION_ORDER),
    Lookup("a page of one class", "classification_page(risk_level=…)",
           "ix_results_run_level", "results",
           lambda s, x: s.result_page(x.run_id, x.uscc, 1001, ResultSelection(risk_level="D"))),
    Lookup("a page of a region (prefix of the division code)",
           "classification_page(region=…), any region-limited key", "results_pkey", "results",
           lambda s, x: s.result_page(x.run_id, x.uscc, 1001, ResultSelection(region="4101")),
           also=PARTITION_ORDER),
    Lookup("how many results of one class", "class_shares (overview page), "
           "classification_csv(risk_level=…)", "ix_results_run_level", "results",
           lambda s, x: s.count_results(x.run_id, ResultSelection(risk_level="D")),
           ordered=False),
    Lookup("the CSV export of a period", "classification_csv: GET /v1/classifications "
           "(Accept: text/csv)", "results_pkey", "results",
           lambda s, x: s.export_query(x.run_id), also=PARTITION_ORDER),
    Lookup("a run's classes", "draw population (create_draw, verify_draw), the next period's "
           "warnings and analysis", "results_pkey", "results",
           lambda s, x: s.results_of(x.run_id, ("uscc", "risk_level")), also=PARTITION_ORDER),
    Lookup("a run's warnings, most severe first", "period_warnings: GET /v1/warnings, "
           "`ecr warnings`", "ix_warnings_run_severity", "warnings",
           lambda s, x: s.warnings_of(x.run_id, 100)),
    Lookup("a run's warnings of one severity inside a region",
           "list_warnings, warning_list (warnings page), enterprise_warnings",
           "ix_warnings_run_severity", "warnings",
           lambda s, x: s.scoped_warnings(x.run_id, ResultSelection(region="41"), severity=3,
                                          limit=100)),
    Lookup("a run's region × industry cells", "period_region_risk: GET /v1/region-risk, "
           "the overview page", "region_risk_pkey", "region_risk",
           lambda s, x: s.region_risk_of(x.run_id, "county"), per_run=False),
    Lookup("the feature row an enterprise was scored on", "explain_published: GET "
           "/v1/enterprises/{uscc}/explanation, the enterprise page", "feature_snapshots_pkey",
           "feature_snapshots", lambda s, x: s.feature_row(x.run_id, x.uscc)),
)


def pg_index_names(engine: sa.Engine, index: str) -> set[str]:
    """``index`` and, on PostgreSQL, the partitions' indexes attached to it."""
    if engine.dialect.name != "postgresql":
        return {index}
    with engine.connect() as connection:
        children = connection.exec_driver_sql(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %(index)s "
            "AND p.relnamespace = to_regnamespace(current_schema())::oid",
            {"index": index}).scalars().all()
    return {index, *children}


def captured(store: ResultsStore, call: Callable[[], Any], table: str
             ) -> tuple[str, Any]:
    """The last statement reading ``table`` that ``call`` sends, with its parameters."""
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", keep)
    try:
        made = call()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", keep)
    if isinstance(made, sa.Select):  # a query the store streams through the driver itself
        compiled = made.compile(store.engine)
        if store.engine.dialect.name == "postgresql":
            return str(compiled), compiled.params
        return str(compiled), tuple(compiled.params[n] for n in compiled.positiontup or ())
    reading = [s for s in sent if f"FROM {table}" in s[0] or f"JOIN {table}" in s[0]]
    if not reading:
        raise LookupError(f"no statement reading {table} was sent")
    return reading[-1]


def plan_of(store: ResultsStore, statement: str, parameters: Any,
            no_seqscan: bool = False, no_sort: bool = False) -> str:
    """The database's plan of ``statement``, one line per node. ``no_seqscan`` makes
    PostgreSQL prefer an index scan even on a tiny table (as the tests' tables are),
    ``no_sort`` one that needs no sort when there is one: whether an index can serve the
    query, which the planner's choice at scale shows in ``bench/periods.py --plans``."""
    statement = statement.strip()
    with store.engine.connect() as connection:
        if store.engine.dialect.name == "postgresql":
            if no_seqscan:
                connection.exec_driver_sql("SET enable_seqscan = off")
                connection.exec_driver_sql("SET enable_bitmapscan = off")
            if no_sort:
                connection.exec_driver_sql("SET enable_sort = off")
            rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
        else:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}",
                                              tuple(parameters or ())).all()
    return "\n".join(" ".join(str(v) for v in row[-1:]) for row in rows)


def explain(store: ResultsStore, lookup: Lookup, sample: Sample,
            no_seqscan: bool = False) -> str:
    """The plan of the lookup's query (see `plan_of`; ``no_seqscan`` also forbids a sort of an
    ordered lookup's rows)."""
    lookup.call(store, sample)  # the run's period is remembered: the next call sends one
    statement, parameters = captured(store, lambda: lookup.call(store, sample), lookup.table)
    return plan_of(store, statement, parameters, no_seqscan, no_seqscan and lookup.ordered)

"""Tables of the results store (SQLAlchemy Core). Alembic migrations create and evolve them.

A classification run writes its rows under its own ``run_id`` while its status is
``writing``; publishing a period flips the period's row in ``publications`` to the new run in
one transaction, so readers (who always go through ``publications``) see a whole period or
none of it. A run killed half-way leaves only unpublished rows, removed by the next run.

The ``results`` table is the one definition of a result row's columns: `RESULT_SCHEMA`, the
Arrow schema that the batch classifier produces and the writers consume, is derived from it.
(The first migration keeps its own frozen copy, as migrations must.)
"""

from __future__ import annotations

import pyarrow as pa
import sqlalchemy as sa

metadata = sa.MetaData()

TOP_FACTORS = 3
"""Top factors stored each way (raising and lowering risk) per enterprise and period."""

runs = sa.Table(
    "classification_runs", metadata,
    sa.Column("run_id", sa.String(36), primary_key=True),
    sa.Column("period", sa.Date, nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),  # monthly | rescore
    sa.Column("status", sa.String(16), nullable=False),  # writing | published | superseded
    sa.Column("model_uri", sa.String(300), nullable=False),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("rules_version", sa.String(80), nullable=False),
    sa.Column("profile", sa.String(32), nullable=False),
    sa.Column("data_fingerprint", sa.String(80), nullable=False),
    sa.Column("store_version", sa.String(80), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False, server_default="0"),
    sa.Column("mlflow_run_id", sa.String(64)),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
)

leases = sa.Table(
    "period_leases", metadata,
    sa.Column("period", sa.Date, primary_key=True),
    sa.Column("run_id", sa.String(36), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False),
)
"""The one run allowed to write a period, while it writes: the primary key on ``period``
makes taking it atomic on every database; the holder's host and pid (and how recently it
renewed the lease) tell a live writer from one that died."""

_factor_columns = [
    column
    for way in ("up", "down")
    for rank in range(1, TOP_FACTORS + 1)
    for column in (sa.Column(f"factor_{way}_{rank}", sa.String(64)),
                   sa.Column(f"points_{way}_{rank}", sa.Float))
]

results = sa.Table(
    "results", metadata,
    sa.Column("run_id", sa.String(36), sa.ForeignKey("classification_runs.run_id"),
              primary_key=True),
    sa.Column("uscc", sa.String(18), primary_key=True),
    sa.Column("period", sa.Date, primary_key=True),
    sa.Column("model_score", sa.Float, nullable=False),
    sa.Column("final_score", sa.Float, nullable=False),
    sa.Column("model_level", sa.String(1), nullable=False),
    sa.Column("risk_level", sa.String(1), nullable=False),
    sa.Column("class_label", sa.String(8), nullable=False),
    sa.Column("fired_rules", sa.Text, nullable=False),
    sa.Column("base_points", sa.Float, nullable=False),
    *_factor_columns,
    sa.Column("prefecture", sa.String(6)),
    sa.Column("county", sa.String(6)),
    sa.Column("industry_section", sa.String(1)),
    sa.Column("industry_division", sa.String(3)),
    sa.Column("domain_tags", sa.Text),
    sa.Column("input_fingerprint", sa.String(32), nullable=False),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("rules_version", sa.String(80), nullable=False),
    postgresql_partition_by="RANGE (period)",
)
sa.Index("ix_results_uscc_period", results.c.uscc, results.c.period)  # history, one result
sa.Index("ix_results_run_county", results.c.run_id, results.c.county)
sa.Index("ix_results_run_level", results.c.run_id, results.c.risk_level, results.c.uscc)
"""The primary key (run_id, uscc, period) serves every read of a run (pages, export, counts);
``period`` is in it because on PostgreSQL the table is partitioned by period, one partition a
month (`serving.results.partitions`), and a partitioned table's keys must hold its partition
key. ``ix_results_run_level`` serves a page or count of one class. docs/results-database.md
lists every query and the index it uses.

``prefecture`` and ``county`` are derived from the enterprise's ``region_code`` (its
registering division): the county is the code itself when it is county-level, else NULL, so
the code is ``coalesce(county, prefecture)``. ``domain_tags`` are the enterprise's
professional-supervision domains joined by ``;`` (empty when none), as ``fired_rules``."""

feature_snapshots = sa.Table(
    "feature_snapshots", metadata,
    sa.Column("run_id", sa.String(36), sa.ForeignKey("classification_runs.run_id"),
              primary_key=True),
    sa.Column("first_uscc", sa.String(18), primary_key=True),
    sa.Column("period", sa.Date, primary_key=True),
    sa.Column("last_uscc", sa.String(18), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("features", sa.LargeBinary, nullable=False),
    postgresql_partition_by="RANGE (period)",
)
"""The feature rows a run scored, in chunks of consecutive codes (``first_uscc`` to
``last_uscc``), each an Arrow IPC stream (`serving.results.feature_snapshots`): the
explanation of a published result is computed from the very values that produced it, and
found by primary key, without recomputing the enterprise's features. ``period`` is the run's
(partitioned by it on PostgreSQL, as ``results``)."""

publications = sa.Table(
    "publications", metadata,
    sa.Column("period", sa.Date, primary_key=True),
    sa.Column("run_id", sa.String(36), sa.ForeignKey("classification_runs.run_id"),
              nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
)

warnings = sa.Table(
    "warnings", metadata,
    sa.Column("run_id", sa.String(36), sa.ForeignKey("classification_runs.run_id"),
              primary_key=True),
    sa.Column("uscc", sa.String(18), primary_key=True),
    sa.Column("period", sa.Date, nullable=False, index=True),
    sa.Column("severity", sa.Integer, nullable=False),
    sa.Column("action", sa.String(8), nullable=False),
    sa.Column("action_en", sa.String(16), nullable=False),
    sa.Column("triggers", sa.Text, nullable=False),
    sa.Column("previous_level", sa.String(1)),
    sa.Column("risk_level", sa.String(1), nullable=False),
)
sa.Index("ix_warnings_run_severity", warnings.c.run_id, warnings.c.severity.desc(),
         warnings.c.uscc)
"""A run's warnings most severe first, or of one severity, without sorting them all. Not
partitioned: a period's warnings are a few per cent of its results, and dispositions (kept
for good) reference them."""

period_analysis = sa.Table(
    "period_analysis", metadata,
    sa.Column("run_id", sa.String(36), sa.ForeignKey("classification_runs.run_id"),
              primary_key=True),
    sa.Column("period", sa.Date, nullable=False),
    sa.Column("previous_period", sa.Date),
    sa.Column("analysis", sa.JSON, nullable=False),
)

region_risk = sa.Table(
    "region_risk", metadata,
    sa.Column("run_id", sa.String(36), sa.ForeignKey("classification_runs.run_id"),
              primary_key=True),
    sa.Column("level", sa.String(12), primary_key=True),  # prefecture | county
    sa.Column("region", sa.String(6), primary_key=True),
    sa.Column("industry_section", sa.String(1), primary_key=True),
    sa.Column("period", sa.Date, nullable=False),
    sa.Column("enterprises", sa.Integer, nullable=False),
    sa.Column("share_c_or_d", sa.Float, nullable=False),
    sa.Column("mean_score", sa.Float, nullable=False),
    sa.Column("share_c_or_d_change", sa.Float),
    sa.Column("mean_score_change", sa.Float),
    sa.Column("high_risk", sa.Boolean),
)
"""Region × industry section cells of a run (区域性、行业性风险); ``high_risk`` is NULL on
cells carried over from before the rule (migration 0004)."""

warning_dispositions = sa.Table(
    "warning_dispositions", metadata,
    sa.Column("disposition_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.Date, nullable=False),
    sa.Column("uscc", sa.String(18), nullable=False),
    sa.Column("run_id", sa.String(36), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("action_taken", sa.String(200)),
    sa.Column("department", sa.String(120)),
    sa.Column("note", sa.Text),
    sa.Column("key_id", sa.String(16)),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["run_id", "uscc"], ["warnings.run_id", "warnings.uscc"]),
)
sa.Index("ix_warning_dispositions_warning", warning_dispositions.c.period,
         warning_dispositions.c.uscc, warning_dispositions.c.disposition_id)
"""What was done about a warning (处置), append-only (triggers refuse UPDATE and DELETE):
keyed by the warning's period and enterprise, so the history survives a republication of
the period; ``run_id`` is the run whose warning was disposed of when it was recorded."""


api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("key_id", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),  # sampling | regulator | admin
    sa.Column("region", sa.String(6)),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)
"""API keys: only a keyed hash (HMAC-SHA256 with the server secret) of each key is kept."""

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("key_id", sa.String(16)),
    sa.Column("role", sa.String(16)),
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("route", sa.String(200), nullable=False),
    sa.Column("parameters", sa.Text, nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("previous_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
)
"""Every read of a result and every write, append-only (triggers refuse UPDATE and DELETE);
each entry's hash covers the previous entry's, so an edited or deleted entry breaks the
chain."""

idempotency_keys = sa.Table(
    "idempotency_keys", metadata,
    sa.Column("key_id", sa.String(16), primary_key=True),
    sa.Column("idempotency_key", sa.String(200), primary_key=True),
    sa.Column("route", sa.String(200), nullable=False),
    sa.Column("request_sha256", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("response", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
"""A write's answer kept under the caller's ``Idempotency-Key``: a retry gets the same answer
and changes nothing; the same key with another body is refused."""

page_sessions = sa.Table(
    "page_sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("key_id", sa.String(16), sa.ForeignKey("api_keys.key_id"), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
)
"""The regulator pages' sessions, shared by every worker and host of the service: only a keyed
hash (HMAC-SHA256 with the server secret) of each session token is kept, with the key it was
opened with (its id, never the key), the CSRF token of its forms, and its times; a row is
deleted at logout and once it can no longer be used."""


draws = sa.Table(
    "draws", metadata,
    sa.Column("draw_id", sa.String(40), primary_key=True),
    sa.Column("period", sa.Date, nullable=False, index=True),
    sa.Column("run_id", sa.String(36), sa.ForeignKey("classification_runs.run_id"),
              nullable=False),
    sa.Column("task", sa.String(32), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("region", sa.String(6)),
    sa.Column("drawn_on", sa.Date, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("author", sa.String(80), nullable=False),
    sa.Column("population", sa.Integer, nullable=False),
    sa.Column("targets", sa.Integer, nullable=False),
    sa.Column("population_sha256", sa.String(64), nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("record_sha256", sa.String(64), nullable=False),
)
"""One 双随机 draw: its record (parameters, seed and its source, versions, population hash,
counts) as canonical JSON with its sha256; append-only (triggers refuse UPDATE and DELETE)."""
sa.Index("ix_draws_drawn_on", draws.c.drawn_on)  # the draws within a window (回避, recent)

draw_population = sa.Table(
    "draw_population", metadata,
    sa.Column("draw_id", sa.String(40), sa.ForeignKey("draws.draw_id"), primary_key=True),
    sa.Column("uscc", sa.String(18), primary_key=True),
    sa.Column("risk_level", sa.String(1), nullable=False),
    sa.Column("recent", sa.Boolean, nullable=False),
    sa.Column("items", sa.Text, nullable=False),
)
"""The frozen population of a draw: every enterprise it was drawn from, with its class, whether
it was inspected within the window, and its applicable items (``;``-joined)."""

draw_targets = sa.Table(
    "draw_targets", metadata,
    sa.Column("draw_id", sa.String(40), sa.ForeignKey("draws.draw_id"), primary_key=True),
    sa.Column("uscc", sa.String(18), primary_key=True),
    sa.Column("risk_level", sa.String(1), nullable=False),
    sa.Column("region_code", sa.String(6), nullable=False),
    sa.Column("part", sa.String(8), nullable=False),  # random | key
    sa.Column("reason", sa.String(200)),
    sa.Column("batch", sa.String(8), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("rank_sha256", sa.String(64), nullable=False),
    sa.Column("items", sa.Text, nullable=False),
)
sa.Index("ix_draw_targets_uscc", draw_targets.c.uscc)  # the draws an enterprise was in

draw_assignments = sa.Table(
    "draw_assignments", metadata,
    sa.Column("draw_id", sa.String(40), sa.ForeignKey("draws.draw_id"), primary_key=True),
    sa.Column("uscc", sa.String(18), primary_key=True),
    sa.Column("inspector_id", sa.String(64), primary_key=True),
    sa.Column("unit", sa.String(200), nullable=False),
    sa.Column("department", sa.String(16), nullable=False),
)
sa.Index("ix_draw_assignments_inspector", draw_assignments.c.inspector_id,
         draw_assignments.c.uscc)

draw_exclusions = sa.Table(
    "draw_exclusions", metadata,
    sa.Column("draw_id", sa.String(40), sa.ForeignKey("draws.draw_id"), primary_key=True),
    sa.Column("uscc", sa.String(18), primary_key=True),
    sa.Column("inspector_id", sa.String(64), primary_key=True),
    sa.Column("reason", sa.String(32), primary_key=True),
)
"""Every inspector kept away from a target (回避), with the reason."""

draw_cancellations = sa.Table(
    "draw_cancellations", metadata,
    sa.Column("draw_id", sa.String(40), sa.ForeignKey("draws.draw_id"), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("author", sa.String(80), nullable=False),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
)
"""A draw is never changed or deleted; cancelling one appends its reason and author here."""

DRAW_TABLES = (draws, draw_population, draw_targets, draw_assignments, draw_exclusions,
               draw_cancellations)

_ARROW_TYPES: dict[type[sa.types.TypeEngine], pa.DataType] = {
    sa.String: pa.string(), sa.Text: pa.string(), sa.Float: pa.float64(),
    sa.Date: pa.date32(), sa.Integer: pa.int64(),
}


def arrow_schema(table: sa.Table, without: tuple[str, ...] = ("run_id",)) -> pa.Schema:
    """The Arrow schema of a table's rows (less the columns a writer fills in itself)."""
    return pa.schema([pa.field(c.name, _ARROW_TYPES[type(c.type)])
                      for c in table.columns if c.name not in without])


RESULT_SCHEMA = arrow_schema(results)
"""One enterprise's result for a period, as the batch classifier produces it."""
SUMMARY_COLUMNS = ("uscc", "risk_level", "final_score", "prefecture", "county",
                   "industry_section")
"""What the analysis, warnings and region risk read of a period's results."""
SUMMARY_SCHEMA = pa.schema([RESULT_SCHEMA.field(name) for name in SUMMARY_COLUMNS])

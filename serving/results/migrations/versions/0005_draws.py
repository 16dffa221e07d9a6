"""双随机 draws: the draw records, their frozen populations, targets, inspector assignments,
回避 exclusions and cancellations; every table append-only (triggers refuse UPDATE and DELETE
on SQLite, UPDATE, DELETE and TRUNCATE on PostgreSQL).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("draws", "draw_population", "draw_targets", "draw_assignments", "draw_exclusions",
          "draw_cancellations")
_FORBID_SQLITE = """
CREATE TRIGGER {table}_no_{verb} BEFORE {verb} ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END
"""
_FORBID_POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION draws_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$ LANGUAGE plpgsql
"""
_FORBID_POSTGRES = """
CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION draws_append_only()
"""


def _draw_id() -> sa.Column:
    return sa.Column("draw_id", sa.String(40), sa.ForeignKey("draws.draw_id"), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "draws",
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
    op.create_table(
        "draw_population", _draw_id(),
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("risk_level", sa.String(1), nullable=False),
        sa.Column("recent", sa.Boolean, nullable=False),
        sa.Column("items", sa.Text, nullable=False),
    )
    op.create_table(
        "draw_targets", _draw_id(),
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("risk_level", sa.String(1), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("part", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(200)),
        sa.Column("batch", sa.String(8), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("rank_sha256", sa.String(64), nullable=False),
        sa.Column("items", sa.Text, nullable=False),
    )
    op.create_table(
        "draw_assignments", _draw_id(),
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("inspector_id", sa.String(64), primary_key=True),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("department", sa.String(16), nullable=False),
    )
    op.create_index("ix_draw_assignments_inspector", "draw_assignments",
                    ["inspector_id", "uscc"])
    op.create_table(
        "draw_exclusions", _draw_id(),
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("inspector_id", sa.String(64), primary_key=True),
        sa.Column("reason", sa.String(32), primary_key=True),
    )
    op.create_table(
        "draw_cancellations", _draw_id(),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FORBID_POSTGRES_FUNCTION)
        for table in TABLES:
            op.execute(_FORBID_POSTGRES.format(table=table))
    else:
        for table in TABLES:
            for verb in ("UPDATE", "DELETE"):
                op.execute(_FORBID_SQLITE.format(table=table, verb=verb))


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in reversed(TABLES):
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
        op.drop_table(table)
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS draws_append_only()")

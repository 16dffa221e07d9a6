"""What the service reads and records: each result's county, industry division and
professional domains; region risk at prefecture and county level (with the change of the C/D
share and the high-risk flag); and the disposal (处置) of warnings, append-only.

``regional_risk`` (prefecture × industry) becomes ``region_risk`` keyed by (level, region,
industry section); existing rows move over as level ``prefecture``, with ``high_risk`` NULL
(not assessed: they were published before the rule) and no C/D-share change. Results
published before this revision have no county, division or domains (NULL).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_FORBID_SQLITE = """
CREATE TRIGGER warning_dispositions_no_{verb} BEFORE {verb} ON warning_dispositions
BEGIN SELECT RAISE(ABORT, 'warning_dispositions is append-only'); END
"""
_FORBID_POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION warning_dispositions_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'warning_dispositions is append-only'; END $$ LANGUAGE plpgsql
"""
_FORBID_POSTGRES = """
CREATE TRIGGER warning_dispositions_no_change BEFORE UPDATE OR DELETE OR TRUNCATE
ON warning_dispositions FOR EACH STATEMENT EXECUTE FUNCTION warning_dispositions_append_only()
"""


def upgrade() -> None:
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("county", sa.String(6)))
        batch.add_column(sa.Column("industry_division", sa.String(3)))
        batch.add_column(sa.Column("domain_tags", sa.Text))
    op.create_index("ix_results_run_county", "results", ["run_id", "county"])
    op.create_table(
        "region_risk",
        sa.Column("run_id", sa.String(36), sa.ForeignKey("classification_runs.run_id"),
                  primary_key=True),
        sa.Column("level", sa.String(12), primary_key=True),
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
    op.execute(
        "INSERT INTO region_risk (run_id, level, region, industry_section, period, "
        "enterprises, share_c_or_d, mean_score, mean_score_change) "
        "SELECT run_id, 'prefecture', prefecture, industry_section, period, enterprises, "
        "share_c_or_d, mean_score, mean_score_change FROM regional_risk")
    op.drop_table("regional_risk")
    op.create_table(
        "warning_dispositions",
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
    op.create_index("ix_warning_dispositions_warning", "warning_dispositions",
                    ["period", "uscc", "disposition_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FORBID_POSTGRES_FUNCTION)
        op.execute(_FORBID_POSTGRES)
    else:
        op.execute(_FORBID_SQLITE.format(verb="UPDATE"))
        op.execute(_FORBID_SQLITE.format(verb="DELETE"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS warning_dispositions_no_change "
                   "ON warning_dispositions")
        op.execute("DROP FUNCTION IF EXISTS warning_dispositions_append_only()")
    op.drop_table("warning_dispositions")
    op.create_table(
        "regional_risk",
        sa.Column("run_id", sa.String(36), sa.ForeignKey("classification_runs.run_id"),
                  primary_key=True),
        sa.Column("prefecture", sa.String(6), primary_key=True),
        sa.Column("industry_section", sa.String(1), primary_key=True),
        sa.Column("period", sa.Date, nullable=False),
        sa.Column("enterprises", sa.Integer, nullable=False),
        sa.Column("share_c_or_d", sa.Float, nullable=False),
        sa.Column("mean_score", sa.Float, nullable=False),
        sa.Column("mean_score_change", sa.Float),
    )
    op.execute(
        "INSERT INTO regional_risk (run_id, prefecture, industry_section, period, "
        "enterprises, share_c_or_d, mean_score, mean_score_change) "
        "SELECT run_id, region, industry_section, period, enterprises, share_c_or_d, "
        "mean_score, mean_score_change FROM region_risk WHERE level = 'prefecture'")
    op.drop_table("region_risk")
    op.drop_index("ix_results_run_county", "results")
    with op.batch_alter_table("results") as batch:
        batch.drop_column("domain_tags")
        batch.drop_column("industry_division")
        batch.drop_column("county")

"""The results store: runs, results, publications, warnings, analyses, regional risk.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classification_runs",
        sa.Column("run_id", sa.String(36), primary_key=True),
        sa.Column("period", sa.Date, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
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
    op.create_index("ix_classification_runs_period", "classification_runs", ["period"])
    factors = [
        column
        for way in ("up", "down")
        for rank in (1, 2, 3)
        for column in (sa.Column(f"factor_{way}_{rank}", sa.String(64)),
                       sa.Column(f"points_{way}_{rank}", sa.Float))
    ]
    op.create_table(
        "results",
        sa.Column("run_id", sa.String(36), sa.ForeignKey("classification_runs.run_id"),
                  primary_key=True),
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("period", sa.Date, nullable=False),
        sa.Column("model_score", sa.Float, nullable=False),
        sa.Column("final_score", sa.Float, nullable=False),
        sa.Column("model_level", sa.String(1), nullable=False),
        sa.Column("risk_level", sa.String(1), nullable=False),
        sa.Column("class_label", sa.String(8), nullable=False),
        sa.Column("fired_rules", sa.Text, nullable=False),
        sa.Column("base_points", sa.Float, nullable=False),
        *factors,
        sa.Column("prefecture", sa.String(6)),
        sa.Column("industry_section", sa.String(1)),
        sa.Column("input_fingerprint", sa.String(32), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("rules_version", sa.String(80), nullable=False),
    )
    op.create_index("ix_results_uscc_period", "results", ["uscc", "period"])
    op.create_table(
        "publications",
        sa.Column("period", sa.Date, primary_key=True),
        sa.Column("run_id", sa.String(36), sa.ForeignKey("classification_runs.run_id"),
                  nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "warnings",
        sa.Column("run_id", sa.String(36), sa.ForeignKey("classification_runs.run_id"),
                  primary_key=True),
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("period", sa.Date, nullable=False),
        sa.Column("severity", sa.Integer, nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("action_en", sa.String(16), nullable=False),
        sa.Column("triggers", sa.Text, nullable=False),
        sa.Column("previous_level", sa.String(1)),
        sa.Column("risk_level", sa.String(1), nullable=False),
    )
    op.create_index("ix_warnings_period", "warnings", ["period"])
    op.create_table(
        "period_analysis",
        sa.Column("run_id", sa.String(36), sa.ForeignKey("classification_runs.run_id"),
                  primary_key=True),
        sa.Column("period", sa.Date, nullable=False),
        sa.Column("previous_period", sa.Date),
        sa.Column("analysis", sa.JSON, nullable=False),
    )
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


def downgrade() -> None:
    for table in ("regional_risk", "period_analysis", "warnings", "publications", "results",
                  "classification_runs"):
        op.drop_table(table)

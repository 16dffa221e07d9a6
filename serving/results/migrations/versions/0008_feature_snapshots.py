"""The feature rows each run scored, kept with its results (``feature_snapshots``): an
explanation of a published result reads the values that produced it.

Runs written before this migration have no snapshot; their explanations are recomputed from
the store, as before.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feature_snapshots",
        sa.Column("run_id", sa.String(36), sa.ForeignKey("classification_runs.run_id"),
                  primary_key=True),
        sa.Column("first_uscc", sa.String(18), primary_key=True),
        sa.Column("last_uscc", sa.String(18), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("features", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feature_snapshots")

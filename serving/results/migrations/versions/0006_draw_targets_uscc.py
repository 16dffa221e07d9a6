"""Indexes for the draws' lookups that do not start from a draw id: the draws an enterprise
was in (``draw_targets`` by ``uscc``, for its page and `DrawBook.of_enterprise`), and the draws
dated within a window (``draws`` by ``drawn_on``, for the enterprises and the (inspector,
enterprise) pairs drawn recently: `DrawBook.recent_targets` and `DrawBook.recent_pairs`).
Every other query of `serving.results.draws` reads by draw id (the primary keys) or by period
(indexed since 0005). The tables stay append-only: creating an index changes no row.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEXES = (("ix_draw_targets_uscc", "draw_targets", ["uscc"]),
           ("ix_draws_drawn_on", "draws", ["drawn_on"]))


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)

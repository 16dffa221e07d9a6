"""Results that stay manageable over years (docs/results-database.md).

- ``results`` and ``feature_snapshots`` have ``period`` in their primary keys, (run_id, uscc,
  period) and (run_id, first_uscc, period); ``feature_snapshots`` gains the column, filled
  from its run. On PostgreSQL both become partitioned by RANGE (period), one partition a
  month (``<table>_yYYYYmMM``), created here for every month holding a run; later ones are
  created when a run begins (`serving.results.partitions`). The rows are copied into the new
  tables, so the migration takes about as long as copying them. SQLite keeps plain tables
  (rebuilt with the new keys).
- Two indexes for the service's reads: a run's results of one class (``ix_results_run_level``)
  and a run's warnings by severity (``ix_warnings_run_severity``).

The downgrade puts plain tables with the old keys back (PostgreSQL: the rows copied out of
the partitions), drops the two indexes and the snapshots' ``period``.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import datetime as dt
import warnings

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KEYS = {"results": (["run_id", "uscc"], ["run_id", "uscc", "period"]),
        "feature_snapshots": (["run_id", "first_uscc"], ["run_id", "first_uscc", "period"])}
INDEXES = {"results": {"ix_results_uscc_period": ["uscc", "period"],
                       "ix_results_run_county": ["run_id", "county"]},
           "feature_snapshots": {}}
NEW_INDEXES = (("ix_results_run_level", "results", ["run_id", "risk_level", "uscc"]),
               ("ix_warnings_run_severity", "warnings",
                ["run_id", sa.text("severity DESC"), "uscc"]))
_FILL_PERIOD = ("UPDATE feature_snapshots SET period = (SELECT period FROM classification_runs "
                "r WHERE r.run_id = feature_snapshots.run_id)")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("feature_snapshots") as batch:
        batch.add_column(sa.Column("period", sa.Date))
    op.execute(_FILL_PERIOD)
    if postgres:
        op.alter_column("feature_snapshots", "period", nullable=False)
        for table, (_, new) in KEYS.items():
            _rebuild_postgres(table, new, partitioned=True)
    else:
        for table, (_, new) in KEYS.items():
            _rebuild_sqlite(table, new, period_nullable=False)
    for name, table, columns in NEW_INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, _ in reversed(NEW_INDEXES):
        op.drop_index(name, table_name=table)
    for table, (old, _) in KEYS.items():
        if postgres:
            _rebuild_postgres(table, old, partitioned=False)
        else:
            _rebuild_sqlite(table, old, period_nullable=table == "feature_snapshots")
    with op.batch_alter_table("feature_snapshots") as batch:
        batch.drop_column("period")


def _rebuild_sqlite(table: str, key: list[str], period_nullable: bool) -> None:
    """Recreate the table with ``key`` as its primary key (SQLite cannot alter a key)."""
    with warnings.catch_warnings():  # "primary key columns not matching": what we ask for
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.alter_column("period", existing_type=sa.Date, nullable=period_nullable)
            batch.create_primary_key(f"pk_{table}", key)


def _rebuild_postgres(table: str, key: list[str], partitioned: bool) -> None:
    """Move the rows into a new table with the same columns and ``key``: partitioned by
    month of ``period`` (a partition per month holding a run), or plain."""
    old = f"{table}_0009"
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT {table}_pkey TO {old}_pkey")
    for index in INDEXES[table]:
        op.execute(f"DROP INDEX {index}")
    partition_by = " PARTITION BY RANGE (period)" if partitioned else ""
    op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS){partition_by}")
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY "
               f"({', '.join(key)})")
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_run_id_fkey FOREIGN KEY (run_id) "
               "REFERENCES classification_runs (run_id)")
    if partitioned:
        months = op.get_bind().exec_driver_sql(
            "SELECT DISTINCT date_trunc('month', period)::date FROM classification_runs "
            "ORDER BY 1").scalars().all()
        for month in months:
            upper = (month + dt.timedelta(days=32)).replace(day=1)
            op.execute(f"CREATE TABLE {table}_y{month.year:04d}m{month.month:02d} PARTITION OF "
                       f"{table} FOR VALUES FROM ('{month}') TO ('{upper}')")
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    op.execute(f"DROP TABLE {old} CASCADE")
    for index, columns in INDEXES[table].items():
        op.create_index(index, table, columns)

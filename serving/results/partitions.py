"""Monthly partitions of the per-period tables on PostgreSQL (SQLite keeps plain tables).

``results`` and ``feature_snapshots`` are declared ``PARTITION BY RANGE (period)`` (schema and
migration 0009); each calendar month is one partition, ``<table>_yYYYYmMM``, covering
``[first of the month, first of the next)``, so a monthly period, and any rescore dated within
the month, lands in the month's partition. A run creates its month's partitions when it
begins (`ensure`); there is no default partition, so a row of a month without one is refused
rather than hidden. Retention drops a month's partitions whole (`drop`) when every run in the
month goes: no row-by-row DELETE, no table bloat left behind.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from serving.results.schema import feature_snapshots, results

PARTITIONED = (results, feature_snapshots)
_LOCK = 0x45435250  # one advisory lock for partition DDL ("ECRP")


def month_of(day: dt.date) -> dt.date:
    """The first day of ``day``'s month: the lower bound of its partition."""
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


def name(table: sa.Table, month: dt.date) -> str:
    """The partition of ``table`` holding ``month``: ``results_y2025m12``."""
    return f"{table.name}_y{month.year:04d}m{month.month:02d}"


def is_partitioned(connection: sa.Connection) -> bool:
    """Whether this database partitions the per-period tables (PostgreSQL after 0009)."""
    if connection.dialect.name != "postgresql":
        return False
    return connection.exec_driver_sql(
        "SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relname = 'results' AND c.relnamespace = "
        "to_regnamespace(current_schema())::oid").scalar_one() == 1


def months(connection: sa.Connection, table: sa.Table) -> list[dt.date]:
    """The months ``table`` has a partition for, oldest first."""
    found = connection.exec_driver_sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %(table)s "
        "AND p.relnamespace = to_regnamespace(current_schema())::oid",
        {"table": table.name}).scalars()
    prefix = f"{table.name}_y"
    return sorted(dt.date(int(n[len(prefix):len(prefix) + 4]), int(n[-2:]), 1)
                  for n in found if n.startswith(prefix))


def ensure(connection: sa.Connection, period: dt.date) -> list[str]:
    """Create the month's partitions of every partitioned table that lacks them (under an
    advisory lock, so two runs beginning at once do not race); the names created."""
    if not is_partitioned(connection):
        return []
    month = month_of(period)
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK})")
    created = []
    for table in PARTITIONED:
        if month in months(connection, table):
            continue
        partition = name(table, month)
        connection.exec_driver_sql(
            f"CREATE TABLE {partition} PARTITION OF {table.name} "
            f"FOR VALUES FROM ('{month}') TO ('{next_month(month)}')")
        created.append(partition)
    return created


def drop(connection: sa.Connection, month: dt.date) -> list[str]:
    """Detach and drop the month's partitions (every row of every run in the month); the
    names dropped."""
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK})")
    dropped = []
    for table in PARTITIONED:
        if month not in months(connection, table):
            continue
        partition = name(table, month)
        connection.exec_driver_sql(f"ALTER TABLE {table.name} DETACH PARTITION {partition}")
        connection.exec_driver_sql(f"DROP TABLE {partition}")
        dropped.append(partition)
    return dropped

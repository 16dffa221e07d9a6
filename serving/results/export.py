"""A run's results as CSV, streamed from one query in uscc order.

On PostgreSQL the database writes the CSV itself (``COPY (SELECT …) TO STDOUT``, read block
by block through psycopg); elsewhere one query is streamed (`STREAM_ROWS` rows at a time)
through Python's ``csv`` module. Both give the same text: a header of `EXPORT_COLUMNS`, one
line per result, ``\\n`` line ends, a missing value (NULL or empty text) as an empty field,
dates as ISO 8601, numbers as Python's ``repr`` writes a double (the shortest text that reads
back exactly, ``100.0``, ``100.25``, ``1e-05``; PostgreSQL's is the same once a whole number
gets its ``.0``, see `float_text`, for every finite double below 10¹⁵ in magnitude, which
takes in every score and point), and fields quoted only when they hold a comma, a quote or a
line break. The results of a run never change once written, so a long read sees the same
rows as a short one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import sqlalchemy as sa

from serving.results.schema import results

EXPORT_COLUMNS = tuple(c.name for c in results.columns if c.name != "run_id")
"""Every column of a stored result but its run, in the table's order (uscc first)."""
STREAM_ROWS = 10_000


def float_text(column: sa.ColumnElement[float]) -> sa.ColumnElement[str]:
    """PostgreSQL's text of a double as Python's ``repr`` writes it (below 10¹⁵ in
    magnitude): ``float8out`` already writes the shortest exact digits, but a whole number
    without its ``.0``."""
    text = sa.cast(column, sa.Text)
    return sa.case((sa.and_(column == sa.func.trunc(column), sa.func.abs(column) < 1e15),
                    text.concat(".0")), else_=text)


def export_query(run_id: str, conditions: list[sa.ColumnElement[bool]],
                 dialect: str = "sqlite") -> sa.Select:
    """The rows of the export: empty text read as NULL, so both writers leave it empty, and
    on PostgreSQL doubles as text written as Python writes them."""
    columns = []
    for column in (c for c in results.columns if c.name != "run_id"):
        if isinstance(column.type, sa.String):
            columns.append(sa.func.nullif(column, "").label(column.name))
        elif isinstance(column.type, sa.Float) and dialect == "postgresql":
            columns.append(float_text(column).label(column.name))
        else:
            columns.append(column)
    return (sa.select(*columns).where(results.c.run_id == run_id, *conditions)
            .order_by(results.c.uscc))


def csv_chunks(engine: sa.Engine, run_id: str,
               conditions: list[sa.ColumnElement[bool]]) -> Iterator[bytes]:
    """The run's results that meet ``conditions`` as UTF-8 CSV chunks, the header first. The
    connection is held while the chunks are read and released when the iterator is closed
    (a client gone mid-export closes it)."""
    query = export_query(run_id, conditions, engine.dialect.name)
    if engine.dialect.name == "postgresql":
        yield from _copied(engine, query)
    else:
        yield from _written(engine, query)


def _copied(engine: sa.Engine, query: sa.Select) -> Iterator[bytes]:
    compiled = query.compile(engine)  # placeholders of psycopg, values bound by it
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv, HEADER true)",
                         compiled.params) as copy:
            for block in copy:
                yield bytes(block)


def _written(engine: sa.Engine, query: sa.Select) -> Iterator[bytes]:
    """Through the driver's own cursor: rows as the database holds them (a date is its ISO
    text on SQLite), without building a typed row per result."""
    compiled = query.compile(engine)
    parameters = [compiled.params[name] for name in compiled.positiontup or ()]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue().encode()
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(str(compiled), parameters)
            while rows := cursor.fetchmany(STREAM_ROWS):
                buffer.seek(0)
                buffer.truncate()
                writer.writerows(rows)  # None is written as an empty field
                yield buffer.getvalue().encode()
        finally:
            cursor.close()

"""Feature tables on disk: CSV or Parquet, chosen by the file's extension."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

SUFFIXES = (".csv", ".parquet")


class TableFileError(ValueError):
    """A file that cannot be read or written as a table; the message names it."""


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise TableFileError(f"{path}: expected a .csv or .parquet file, found {suffix!r}")
    return suffix


def read_table_file(path: Path) -> pa.Table:
    """The whole table, with Parquet schema metadata kept."""
    suffix = _suffix(path)
    if not path.is_file():
        raise TableFileError(f"{path}: no such file")
    try:
        if suffix == ".csv":
            return pcsv.read_csv(path)
        return without_row_labels(pq.read_table(path))
    except (pa.ArrowInvalid, OSError) as error:
        raise TableFileError(f"{path}: cannot read: {error}") from None


def without_row_labels(table: pa.Table) -> pa.Table:
    """Drop the unnamed index pandas wrote with a frame (``__index_level_0__``…, listed in its
    ``pandas`` schema metadata): row labels, never data. A named index (``uscc``) stays."""
    raw = (table.schema.metadata or {}).get(b"pandas")
    if raw is None:
        return table
    try:
        pandas = json.loads(raw)
        unnamed = {c["field_name"] for c in pandas.get("columns", ())
                   if c.get("name") is None and isinstance(c.get("field_name"), str)}
        index = {i for i in pandas.get("index_columns", ()) if isinstance(i, str)}
    except (ValueError, TypeError, AttributeError, KeyError):
        return table
    labels = [c for c in table.column_names if c in index & unnamed]
    return table.drop_columns(labels) if labels else table


def write_table_file(table: pa.Table, path: Path) -> None:
    """Write atomically: readers never see half a file."""
    suffix = _suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    if suffix == ".parquet":
        pq.write_table(table, partial, compression="zstd")
    else:
        pcsv.write_csv(table, partial)
    partial.replace(path)

"""Feature tables on disk: CSV or Parquet, chosen by the file's extension."""

from __future__ import annotations

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
        return pq.read_table(path) if suffix == ".parquet" else pcsv.read_csv(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise TableFileError(f"{path}: cannot read: {error}") from None


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

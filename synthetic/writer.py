"""Incremental table writers for Parquet, CSV and JSON Lines with fixed, deterministic options."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from features.contract import LIST_SEPARATOR

FORMATS = ("parquet", "csv", "jsonl")
PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 3, "use_dictionary": True,
                   "write_statistics": True, "version": "2.6"}


def string_schema(schema: pa.Schema) -> pa.Schema:
    """The same columns, every one a nullable string."""
    return pa.schema([pa.field(f.name, pa.string(), nullable=True) for f in schema])


def stringify(table: pa.Table) -> pa.Table:
    """Every column as text: dates ``YYYY-MM-DD``, lists ``;``-joined, numbers as written."""
    arrays = []
    for column in table.columns:
        if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            arrays.append(pc.binary_join(column, LIST_SEPARATOR))
        else:
            arrays.append(column.cast(pa.string()))
    return pa.Table.from_arrays(arrays, schema=string_schema(table.schema))


class Sink(Protocol):
    rows: int

    def write(self, table: pa.Table) -> None: ...

    def close(self) -> None: ...


class ParquetSink:
    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.schema = schema
        self.rows = 0
        self._writer = pq.ParquetWriter(path, schema, **PARQUET_OPTIONS)

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table.cast(self.schema))
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()


class CsvSink:
    """UTF-8 CSV with one header row; cells quoted only where needed."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.schema = string_schema(schema)
        self.rows = 0
        self._writer = pacsv.CSVWriter(
            path, self.schema,
            write_options=pacsv.WriteOptions(include_header=True, quoting_style="needed"),
        )

    def write(self, table: pa.Table) -> None:
        if not all(pa.types.is_string(f.type) for f in table.schema):
            table = stringify(table)
        self._writer.write_table(table.cast(self.schema))
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()


class JsonlSink:
    """One JSON object per line (dates as ISO text, lists as arrays)."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.schema = schema
        self.rows = 0
        self._file: BinaryIO = path.open("wb")

    def write(self, table: pa.Table) -> None:
        pl.from_arrow(table).write_ndjson(self._file)
        self.rows += table.num_rows

    def close(self) -> None:
        self._file.close()


def open_sink(path: Path, fmt: str, schema: pa.Schema) -> Sink:
    """A writer for ``fmt`` (parquet | csv | jsonl) with the given column schema."""
    if fmt == "parquet":
        return ParquetSink(path, schema)
    if fmt == "csv":
        return CsvSink(path, schema)
    if fmt == "jsonl":
        return JsonlSink(path, schema)
    raise ValueError(f"fmt: expected one of {', '.join(FORMATS)}, found {fmt!r}")

"""Read input files (CSV, JSON Lines, Parquet) as batches of raw rows with their row numbers.

Every reader yields ``RawBatch`` objects: the cells of up to ``batch_rows`` data rows plus each
row's 1-based number in the file (CSV: data row after the header; JSON Lines: object number;
Parquet: row position). Whole-file problems raise ``InputError`` with a one-line message.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

SUPPORTED_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
DEFAULT_BATCH_ROWS = 1_000_000


class InputError(Exception):
    """An input file cannot be read at all; the message names the file and the problem."""


@dataclass
class RawBatch:
    frame: pl.DataFrame
    rows: np.ndarray
    """1-based row number in the file of each row of ``frame``."""


@dataclass
class MalformedRow:
    row: int
    problem: str
    text: str


@dataclass
class Reader:
    """Iterates one file; malformed rows (CSV with a wrong field count) are collected."""

    path: Path
    batch_rows: int = DEFAULT_BATCH_ROWS
    malformed: list[MalformedRow] = field(default_factory=list)

    @property
    def format(self) -> str:
        fmt = SUPPORTED_SUFFIXES.get(self.path.suffix.lower())
        if fmt is None:
            raise InputError(
                f"{self.path}: unsupported file type {self.path.suffix!r}; "
                f"expected one of {', '.join(sorted(SUPPORTED_SUFFIXES))}"
            )
        return fmt

    def columns(self) -> list[str]:
        """Column names, read without loading the data."""
        fmt = self.format
        try:
            if fmt == "parquet":
                return pq.read_schema(self.path).names
            if fmt == "csv":
                with self.path.open(encoding="utf-8-sig", newline="") as handle:
                    return [name.strip() for name in next(csv.reader(handle), [])]
            return list(_read_jsonl(self.path).columns)
        except UnicodeDecodeError as error:
            raise InputError(f"{self.path}: not UTF-8 text ({error.reason} at byte "
                             f"{error.start}); re-save it as UTF-8") from None
        except (OSError, pa.ArrowException, pl.exceptions.PolarsError) as error:
            raise InputError(f"{self.path}: cannot read: {_one_line(error)}") from None

    def batches(self) -> Iterator[RawBatch]:
        fmt = self.format
        try:
            if fmt == "parquet":
                yield from self._parquet()
            elif fmt == "csv":
                yield from self._csv()
            else:
                frame = _read_jsonl(self.path)
                for start in range(0, frame.height, self.batch_rows):
                    part = frame.slice(start, self.batch_rows)
                    yield RawBatch(part, np.arange(start + 1, start + part.height + 1))
        except InputError:
            raise
        except (OSError, pa.ArrowException, pl.exceptions.PolarsError) as error:
            message = _one_line(error)
            if "UTF8" in message or "utf-8" in message.lower():
                message = "not UTF-8 text; re-save it as UTF-8"
            raise InputError(f"{self.path}: cannot read: {message}") from None

    def _parquet(self) -> Iterator[RawBatch]:
        start = 0
        for record_batch in pq.ParquetFile(self.path).iter_batches(batch_size=self.batch_rows):
            frame = pl.from_arrow(record_batch)
            assert isinstance(frame, pl.DataFrame)
            yield RawBatch(frame, np.arange(start + 1, start + frame.height + 1))
            start += frame.height

    def _csv(self) -> Iterator[RawBatch]:
        names = self.columns()
        invalid: list[int] = []

        def on_invalid(row: pacsv.InvalidRow) -> str:
            number = (row.number - 1) if row.number is not None else -1
            invalid.append(number)
            self.malformed.append(
                MalformedRow(number, f"{row.expected_columns} fields, found {row.actual_columns}",
                             row.text[:200])
            )
            return "skip"

        reader = pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(
                skip_rows=1, column_names=names, use_threads=False,
                block_size=64 << 20, encoding="utf8",
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
        position = 0
        pending: list[pl.DataFrame] = []
        pending_rows = 0
        for record_batch in reader:
            frame = pl.from_arrow(record_batch)
            assert isinstance(frame, pl.DataFrame)
            pending.append(frame)
            pending_rows += frame.height
            if pending_rows >= self.batch_rows:
                combined = pl.concat(pending)
                yield RawBatch(combined, _row_numbers(position, combined.height, invalid))
                position += combined.height
                pending, pending_rows = [], 0
        if pending:
            combined = pl.concat(pending)
            yield RawBatch(combined, _row_numbers(position, combined.height, invalid))


def _row_numbers(position: int, count: int, invalid: list[int]) -> np.ndarray:
    """1-based file row numbers of valid rows ``position+1 … position+count``.

    Skipped malformed rows are not in the batches, so the p-th valid row sits at p plus the
    number of malformed rows before it.
    """
    valid_positions = np.arange(position + 1, position + count + 1)
    skipped = np.sort(np.asarray([i for i in invalid if i > 0], dtype=np.int64))
    shift = np.searchsorted(skipped - np.arange(skipped.size), valid_positions, side="right")
    return valid_positions + shift


def _read_jsonl(path: Path) -> pl.DataFrame:
    """JSON Lines with every value kept as text (arrays as JSON text); blank lines skipped."""
    with path.open("rb") as handle:
        try:
            handle.read().decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); "
                             "re-save it as UTF-8") from None
    keys: dict[str, None] = {}
    for frame in pl.read_ndjson(path, infer_schema_length=1000).iter_columns():
        keys[frame.name] = None
    schema = dict.fromkeys(keys, pl.Utf8)
    return pl.read_ndjson(path, schema=schema)


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__

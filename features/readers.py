"""Read input files (CSV, JSON Lines, Parquet; CSV and JSON Lines also .gz or .bz2) as batches.

Every reader yields ``RawBatch`` objects: the cells of up to ``batch_rows`` data rows plus each
row's number in the file as a user counts it, blank lines included (CSV: data row after the
header; JSON Lines: line number; Parquet: row position; all from 1). CSV and JSON Lines cells
are text (JSON values other than strings as their JSON text), so each format is parsed against
the contract by one parser, never by inferred types. A line that is not a row (wrong field
count, not a JSON object) is collected in ``Reader.malformed``; blank lines are not rows but
keep their numbers. Whole-file problems raise ``InputError`` with a one-line message.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

SUPPORTED_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
COMPRESSIONS = {".gz": gzip.open, ".bz2": bz2.open}
"""Compressed text files (``records.csv.gz``); Parquet compresses inside the file."""
DEFAULT_BATCH_ROWS = 1_000_000
_BOM = b"\xef\xbb\xbf"


class InputError(Exception):
    """An input file cannot be read at all; the message names the file and the problem."""


@dataclass
class RawBatch:
    frame: pl.DataFrame
    rows: np.ndarray
    """Row number in the file of each row of ``frame``."""


@dataclass
class MalformedRow:
    """A line that is not a row: rejected whole, with what was expected and found."""

    row: int
    expected: str
    found: str


@dataclass(frozen=True)
class Skipped:
    """A directory entry that was not read, and why."""

    path: Path
    reason: str


def input_format(path: Path) -> str:
    """``csv``, ``jsonl`` or ``parquet`` from the file name; ``InputError`` otherwise."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    compressed = bool(suffixes) and suffixes[-1] in COMPRESSIONS
    fmt = SUPPORTED_SUFFIXES.get(suffixes[-2] if compressed and len(suffixes) == 2
                                 else (suffixes or [""])[-1])
    if fmt is None or (compressed and fmt == "parquet"):
        shown = "".join(path.suffixes[-2:]) if compressed else path.suffix
        raise InputError(
            f"{path}: unsupported file type {shown!r}; expected one of "
            f"{', '.join(sorted(SUPPORTED_SUFFIXES))} (CSV and JSON Lines may end in "
            f"{' or '.join(COMPRESSIONS)})"
        )
    return fmt


def scan_directory(directory: Path) -> tuple[list[Path], list[Skipped]]:
    """The input files in ``directory`` (sorted) and every other entry with the reason."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith(("_", ".")):
            skipped.append(Skipped(entry, "name starts with '_' or '.' (private file)"))
        elif entry.is_symlink() and not entry.exists():
            skipped.append(Skipped(entry, f"broken symbolic link to {entry.readlink()}"))
        elif entry.is_dir():
            skipped.append(Skipped(entry, "a directory (not searched; name it to ingest it)"))
        elif not entry.is_file():
            skipped.append(Skipped(entry, "not a regular file"))
        else:
            try:
                input_format(entry)
            except InputError as error:
                skipped.append(Skipped(entry, str(error).removeprefix(f"{entry}: ")))
            else:
                files.append(entry)
    return files, skipped


def _open(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when its name ends in a compression suffix."""
    opener = COMPRESSIONS.get(path.suffix.lower())
    return opener(path, "rb") if opener else path.open("rb")


@dataclass
class Reader:
    """Iterates one file; lines that are not rows are collected in ``malformed``."""

    path: Path
    batch_rows: int = DEFAULT_BATCH_ROWS
    malformed: list[MalformedRow] = field(default_factory=list)

    @property
    def format(self) -> str:
        return input_format(self.path)

    def columns(self) -> list[str]:
        """Column names (JSON Lines: every key used by any line)."""
        fmt = self.format
        try:
            if fmt == "parquet":
                return pq.read_schema(self.path).names
            if fmt == "csv":
                with io.TextIOWrapper(_open(self.path), encoding="utf-8-sig",
                                      newline="") as handle:
                    return [name.strip() for name in next(csv.reader(handle), [])]
            keys: dict[str, None] = {}
            for _, value in self._json_lines():
                if isinstance(value, dict):
                    keys.update(dict.fromkeys(value))
            return list(keys)
        except UnicodeDecodeError as error:
            raise InputError(f"{self.path}: not UTF-8 text ({error.reason} at byte "
                             f"{error.start}); re-save it as UTF-8") from None
        except (OSError, EOFError, pa.ArrowException, pl.exceptions.PolarsError) as error:
            raise InputError(f"{self.path}: cannot read: {_one_line(error)}") from None

    def batches(self) -> Iterator[RawBatch]:
        fmt = self.format
        try:
            if fmt == "parquet":
                yield from self._parquet()
            elif fmt == "csv":
                yield from self._csv()
            else:
                yield from self._jsonl()
        except InputError:
            raise
        except UnicodeDecodeError as error:
            raise InputError(f"{self.path}: not UTF-8 text ({error.reason}); "
                             "re-save it as UTF-8") from None
        except (OSError, EOFError, pa.ArrowException, pl.exceptions.PolarsError) as error:
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
            if row.text.strip():  # a line of spaces is blank, not a malformed row
                self.malformed.append(MalformedRow(
                    number, f"{row.expected_columns} fields",
                    f"{row.actual_columns} fields: {row.text[:200]}",
                ))
            return "skip"

        with _open(self.path) as source:
            reader = pacsv.open_csv(
                source,
                read_options=pacsv.ReadOptions(
                    skip_rows=1, column_names=names, use_threads=False,
                    block_size=64 << 20, encoding="utf8",
                ),
                parse_options=pacsv.ParseOptions(
                    invalid_row_handler=on_invalid, ignore_empty_lines=False
                ),
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
                    yield _without_blank_rows(
                        combined, _row_numbers(position, combined.height, invalid)
                    )
                    position += combined.height
                    pending, pending_rows = [], 0
            if pending:
                combined = pl.concat(pending)
                yield _without_blank_rows(combined, _row_numbers(position, combined.height,
                                                                 invalid))

    def _json_lines(self) -> Iterator[tuple[int, object]]:
        """(line number, parsed value or a ``MalformedRow``) for every non-blank line."""
        with _open(self.path) as handle:
            for number, line in enumerate(handle, start=1):
                if number == 1 and line.startswith(_BOM):
                    line = line[len(_BOM):]
                text = line.decode("utf-8").strip()
                if not text:
                    continue
                try:
                    value = json.loads(text)
                except json.JSONDecodeError as error:
                    value = MalformedRow(number, "a JSON object",
                                         f"{error.msg} at column {error.colno}: {text[:200]}")
                except RecursionError:
                    value = MalformedRow(number, "a JSON object",
                                         f"JSON nested too deeply: {text[:200]}")
                if not isinstance(value, dict | MalformedRow):
                    value = MalformedRow(number, "a JSON object", text[:200])
                yield number, value

    def _jsonl(self) -> Iterator[RawBatch]:
        objects: list[dict] = []
        numbers: list[int] = []
        for number, value in self._json_lines():
            if isinstance(value, MalformedRow):
                self.malformed.append(value)
                continue
            objects.append(value)
            numbers.append(number)
            if len(objects) >= self.batch_rows:
                yield _text_frame(objects, numbers)
                objects, numbers = [], []
        if objects:
            yield _text_frame(objects, numbers)


def _json_text(value: object) -> str | None:
    """A JSON value as a text cell: strings as they are, everything else as JSON text."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _text_frame(objects: list[dict], numbers: list[int]) -> RawBatch:
    """JSON objects as a frame of text cells, one column per key any of them uses."""
    keys: dict[str, None] = {}
    for obj in objects:
        keys.update(dict.fromkeys(obj))
    frame = pl.DataFrame(
        {key: [_json_text(obj.get(key)) for obj in objects] for key in keys},
        schema=dict.fromkeys(keys, pl.Utf8),
    )
    return RawBatch(frame, np.asarray(numbers, dtype=np.int64))


def _without_blank_rows(frame: pl.DataFrame, rows: np.ndarray) -> RawBatch:
    """Drop rows whose every cell is blank (blank lines); the others keep their numbers."""
    if not frame.width:
        return RawBatch(frame, rows)
    blank = pl.all_horizontal(pl.col(c).str.strip_chars() == "" for c in frame.columns)
    keep = frame.select(~blank).to_series()
    return RawBatch(frame.filter(keep), rows[keep.to_numpy()])


def _row_numbers(position: int, count: int, invalid: list[int]) -> np.ndarray:
    """File row numbers of parsed rows ``position+1 … position+count``.

    Skipped rows (malformed or spaces only) are not in the batches, so the p-th parsed row sits
    at p plus the number of skipped rows before it.
    """
    valid_positions = np.arange(position + 1, position + count + 1)
    skipped = np.sort(np.asarray([i for i in invalid if i > 0], dtype=np.int64))
    shift = np.searchsorted(skipped - np.arange(skipped.size), valid_positions, side="right")
    return valid_positions + shift


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__

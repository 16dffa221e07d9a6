"""Read a feature table for training: the file, its label, its feature columns, its fingerprint."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from features.catalog import BY_NAME, FEATURE_NAMES
from features.store import file_sha256
from models.tables import read_table_file

METADATA_PREFIX = "ecr."
DEFAULT_TIME_COLUMN = "as_of"
"""The only time column that may be absent (the split is then stratified, and says so)."""
IDENTIFIER_MIN_ROWS = 50
IDENTIFIER_DISTINCT_SHARE = 0.95
"""A text column with more distinct values than this share of its (≥ 50) filled rows is an
identifier, not a category: it is kept out of the features, with a note."""


class TableError(ValueError):
    """A training table that cannot be used; the message names the file, column and row."""


@dataclass(frozen=True)
class FeatureTable:
    path: Path
    table: pa.Table
    sha256: str
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def fingerprint(self) -> dict[str, str]:
        """What identifies the training data: file hash, shape and the store it came from."""
        return {"data_file": str(self.path), "data_sha256": self.sha256,
                "data_rows": str(self.table.num_rows),
                "data_columns": str(self.table.num_columns),
                **{k.removeprefix(METADATA_PREFIX): v for k, v in self.metadata.items()}}


def read_table(path: Path) -> FeatureTable:
    """A CSV or Parquet file (by extension) as Arrow, with its ``ecr.*`` Parquet metadata."""
    table = read_table_file(path)
    raw = table.schema.metadata or {}
    metadata = {k.decode(): v.decode() for k, v in raw.items()
                if k.decode().startswith(METADATA_PREFIX)}
    return FeatureTable(path, table, file_sha256(path), metadata)


def label_vector(data: FeatureTable, label: str) -> npt.NDArray[np.int64]:
    """The 0/1 outcome column; any other value is an error naming its row."""
    if label not in data.table.column_names:
        raise TableError(f"{data.path}: expected a label column {label!r}; the columns are "
                         f"{', '.join(data.table.column_names[:20])}")
    column = data.table[label]
    if column.null_count:
        row = int(np.flatnonzero(np.asarray(pc.is_null(column)))[0])
        raise TableError(f"{data.path}: row {row + 1}, column {label!r}: expected 0 or 1, "
                         "found an empty value")
    values = column.to_pylist()
    bad = next((i for i, v in enumerate(values) if v not in (0, 1)), None)
    if bad is not None:
        raise TableError(f"{data.path}: row {bad + 1}, column {label!r}: expected 0 or 1, "
                         f"found {values[bad]!r}")
    y = np.asarray(values, dtype=np.int64)
    if y.min() == y.max():
        raise TableError(f"{data.path}: column {label!r}: expected both outcomes, found only "
                         f"{int(y[0])}")
    return y


def feature_columns(
    data: FeatureTable, reserved: Sequence[str], exclude: Sequence[str]
) -> tuple[list[str], list[str]]:
    """(features, ignored columns). A table holding the whole catalog uses exactly the catalog;
    any other table uses every column that is not reserved (label, time, id), excluded or
    empty (a column with no value at all carries no information)."""
    columns = data.table.column_names
    unknown = [c for c in exclude if c not in columns]
    if unknown:
        raise TableError(f"{data.path}: --exclude names columns not in the table: "
                         f"{', '.join(unknown)}")
    if set(FEATURE_NAMES) <= set(columns):
        names = [n for n in FEATURE_NAMES if n not in exclude]
    else:
        empty = {c for c in columns if pa.types.is_null(data.table.schema.field(c).type)}
        names = [c for c in columns if c not in reserved and c not in exclude
                 and c not in empty]
    ignored = [c for c in columns if c not in names and c not in reserved]
    if not names:
        raise TableError(f"{data.path}: no feature columns left after the label, time, id and "
                         "excluded columns")
    return names, ignored


def require_varying(data: FeatureTable, names: Sequence[str]) -> None:
    """Refuse a table none of whose feature columns varies: no model can be learnt from it."""
    if any(pc.count_distinct(data.table[n].drop_null()).as_py() > 1 for n in names):
        return
    raise TableError(f"{data.path}: expected at least one feature column with two or more "
                     f"distinct values, found every one constant or empty: "
                     f"{', '.join(repr(n) for n in names[:20])}")


def time_column(data: FeatureTable, name: str | None) -> str | None:
    """The period column for the out-of-time split; None for a stratified split. A named
    column that is absent is an error, except the default ``as_of``."""
    if not name or name in data.table.column_names:
        return name or None
    if name == DEFAULT_TIME_COLUMN:
        return None
    raise TableError(f"{data.path}: expected the time column {name!r} (--time-column), found "
                     f"no such column; the columns are "
                     f"{', '.join(data.table.column_names[:20])}")


def identifier_columns(data: FeatureTable, names: Sequence[str]) -> list[str]:
    """Text columns outside the catalog whose values are nearly all distinct."""
    found = []
    for name in names:
        column = data.table[name]
        if name in BY_NAME or not (pa.types.is_string(column.type)
                                   or pa.types.is_large_string(column.type)):
            continue
        filled = len(column) - column.null_count
        if (filled >= IDENTIFIER_MIN_ROWS
                and pc.count_distinct(column).as_py() > IDENTIFIER_DISTINCT_SHARE * filled):
            found.append(name)
    return found

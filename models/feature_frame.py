"""The model's view of a feature table: which columns, in which order, and how they are encoded.

Numeric columns become float64 with NaN for missing values; categorical columns become the
index of their value among the levels seen in training, NaN when missing or unseen (LightGBM
then sends them down its missing-value branch); `FeatureSpec.input_warnings` names the columns
where that happens wholesale (an empty column, unseen categories). Infinite values, and
negative values in a catalog feature whose unit cannot be negative (counts, amounts, days,
years, shares, flags), are refused. The spec is plain data, saved with the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.catalog import BY_NAME, NON_NEGATIVE
from models.columns import PyColumns


class FeatureTableError(ValueError):
    """A feature table that the model cannot read; the message names the column."""


@dataclass(frozen=True)
class InputWarning:
    """Something the model reads as missing wholesale; scores are produced but move."""

    column: str
    kind: str
    """``empty_column`` or ``unseen_categories``."""
    message: str

    def __str__(self) -> str:
        return self.message


def as_arrow(table: pa.Table | pd.DataFrame) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    return pa.Table.from_pandas(table, preserve_index=False)


def is_categorical_type(data_type: pa.DataType) -> bool:
    return (pa.types.is_string(data_type) or pa.types.is_large_string(data_type)
            or pa.types.is_dictionary(data_type))


def is_numeric_type(data_type: pa.DataType) -> bool:
    return (pa.types.is_integer(data_type) or pa.types.is_floating(data_type)
            or pa.types.is_boolean(data_type) or pa.types.is_decimal(data_type))


@dataclass(frozen=True)
class FeatureSpec:
    """Feature columns in model order, categorical levels, monotone constraints."""

    names: tuple[str, ...]
    levels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    monotone: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not self.monotone:
            object.__setattr__(self, "monotone", (0,) * len(self.names))
        if len(self.monotone) != len(self.names):
            raise ValueError("feature spec: one monotone constraint per feature expected")

    def subset(self, names: Sequence[str]) -> FeatureSpec:
        """The spec of ``names`` only (in this spec's order)."""
        keep = set(names)
        return FeatureSpec(tuple(n for n in self.names if n in keep),
                           {n: v for n, v in self.levels.items() if n in keep},
                           tuple(m for n, m in zip(self.names, self.monotone, strict=True)
                                 if n in keep))

    @classmethod
    def infer(
        cls, table: pa.Table, names: Sequence[str], monotone: Mapping[str, int] | None = None
    ) -> FeatureSpec:
        """Categorical columns are the string ones; their levels are the values seen."""
        levels: dict[str, tuple[str, ...]] = {}
        for name in names:
            if name not in table.column_names:
                raise FeatureTableError(f"feature column {name!r} is missing from the table")
            column = table[name]
            if is_categorical_type(column.type):
                values = pc.unique(pc.cast(column, pa.string())).drop_null().to_pylist()
                levels[name] = tuple(sorted(values))
            elif not is_numeric_type(column.type):
                raise FeatureTableError(
                    f"column {name!r}: expected a number or a category (text), found "
                    f"{column.type}; exclude it or convert it first"
                )
        constraints = tuple(
            0 if name in levels else int((monotone or {}).get(name, 0)) for name in names
        )
        return cls(tuple(names), levels, constraints)

    @classmethod
    def from_catalog(cls, table: pa.Table, names: Sequence[str]) -> FeatureSpec:
        """Monotone directions from the feature catalog for the columns it knows."""
        return cls.infer(table, names, {n: BY_NAME[n].direction for n in names if n in BY_NAME})

    @property
    def categorical_indices(self) -> list[int]:
        return [i for i, n in enumerate(self.names) if n in self.levels]

    def matrix(self, table: pa.Table | pd.DataFrame | PyColumns,
               source: str = "table") -> npt.NDArray:
        """The float64 matrix the booster reads, rows in input order."""
        if isinstance(table, PyColumns):
            return self._matrix_of_values(table, source)
        table = as_arrow(table)
        names = table.column_names  # a new list at every access: read it once
        self._require_columns(set(names), len(names), source)
        out = np.empty((table.num_rows, len(self.names)), dtype=np.float64, order="F")
        for j, name in enumerate(self.names):
            out[:, j] = self._encode(table[name], name, source)
        self._check_values(out, source)
        return out

    def _matrix_of_values(self, columns: PyColumns, source: str) -> npt.NDArray:
        """`matrix` of a few rows held as Python values, equal to that of their Arrow table."""
        present = set(columns.column_names)
        self._require_columns(present, len(present), source)
        out = np.empty((columns.num_rows, len(self.names)), dtype=np.float64, order="F")
        numeric, values = [], []
        for j, name in enumerate(self.names):
            kind = columns.kind_of(name)
            if name in self.levels and kind in ("null", "text"):
                index = self._level_index[name]
                out[:, j] = [index.get(v, np.nan) for v in columns.values(name)]
            elif name not in self.levels and kind in ("null", "bool", "int", "float"):
                numeric.append(j)
                values.append([np.nan if v is None else v for v in columns.values(name)])
            else:  # a conversion only Arrow defines (text to number, number to category…)
                out[:, j] = self._encode(columns.arrow(name).table[name], name, source)
        if numeric:  # one conversion for every plain number (bool as 0/1, as Arrow casts)
            out[:, numeric] = np.array(values, dtype=np.float64).T
        self._check_values(out, source)
        return out

    def _require_columns(self, present: set[str], count: int, source: str) -> None:
        """Refuse a table lacking any of the model's feature columns, naming them."""
        missing = [n for n in self.names if n not in present]
        if missing:
            raise FeatureTableError(
                f"{source}: expected feature columns {', '.join(missing)}; not found "
                f"(the table has {count} columns)"
            )

    @cached_property
    def _level_index(self) -> dict[str, dict[str, float]]:
        """Per categorical feature, each level's index as the matrix holds it."""
        found: dict[str, dict[str, float]] = {}
        for name, levels in self.levels.items():
            index = found[name] = {}
            for i, level in enumerate(levels):
                index.setdefault(level, float(i))  # the first, as Arrow's index_in
        return found

    @cached_property
    def _non_negative(self) -> npt.NDArray[np.bool_]:
        """Per feature (model order), whether its catalog unit cannot be negative."""
        return np.array([name not in self.levels and name in BY_NAME
                         and BY_NAME[name].unit in NON_NEGATIVE for name in self.names])

    def _encode(self, column: pa.ChunkedArray, name: str, source: str) -> npt.NDArray:
        if name in self.levels:
            text = pc.cast(column, pa.string()) if not pa.types.is_string(column.type) else column
            index = pc.index_in(text, value_set=pa.array(self.levels[name], pa.string()))
            return index.to_numpy(zero_copy_only=False).astype(np.float64)
        if pa.types.is_float64(column.type):
            return column.to_numpy()  # nulls read as NaN
        if not is_numeric_type(column.type):
            try:
                column = pc.cast(column, pa.float64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                found = next((v for v in column.to_pylist() if v is not None), None)
                raise FeatureTableError(
                    f"{source}: column {name!r}: expected numbers, found {column.type} "
                    f"(e.g. {found!r})"
                ) from None
        return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False),
                          dtype=np.float64)

    def _check_values(self, out: npt.NDArray, source: str) -> None:
        """Refuse the first column (in feature order) holding an infinite value, or a
        negative one where its catalog unit cannot be negative, naming its first such row."""
        if not out.size:
            return
        infinite = np.isinf(out)
        negative = (out < 0) & self._non_negative[None, :]
        flawed = np.flatnonzero(infinite.any(axis=0) | negative.any(axis=0))
        if not flawed.size:
            return
        j = int(flawed[0])
        name, values = self.names[j], out[:, j]
        if infinite[:, j].any():
            rows = np.flatnonzero(infinite[:, j])
            raise FeatureTableError(
                f"{source}: row {rows[0] + 1}, column {name!r}: expected a finite number, "
                f"found {values[rows[0]]} ({rows.size} infinite values)")
        rows = np.flatnonzero(negative[:, j])
        raise FeatureTableError(
            f"{source}: row {rows[0] + 1}, column {name!r}: expected a number ≥ 0 "
            f"({BY_NAME[name].unit}), found {values[rows[0]]:g} ({rows.size} "
            "negative values)")

    def input_warnings(self, table: pa.Table | pd.DataFrame,
                       source: str = "table") -> list[InputWarning]:
        """Feature columns the model will read as missing in every row, and categories it
        never saw in training (read as missing), in model order."""
        table = as_arrow(table)
        found: list[InputWarning] = []
        present = set(table.column_names)
        for name in self.names:
            if name not in present or table.num_rows == 0:
                continue
            column = table[name]
            if column.null_count == table.num_rows:
                found.append(InputWarning(name, "empty_column", (
                    f"{source}: column {name!r} is empty in every one of the "
                    f"{table.num_rows:,} rows; the model reads it as missing, which moves "
                    "every score")))
            elif name in self.levels:
                text = pc.cast(column, pa.string())
                known = pc.is_in(text, value_set=pa.array(self.levels[name], pa.string()))
                unseen = pc.filter(text, pc.and_(pc.invert(known), pc.is_valid(text)))
                if len(unseen):
                    values = pc.unique(unseen).to_pylist()
                    shown = ", ".join(repr(v) for v in values[:5])
                    more = f" and {len(values) - 5} more" if len(values) > 5 else ""
                    found.append(InputWarning(name, "unseen_categories", (
                        f"{source}: column {name!r}: {len(unseen):,} rows hold categories not "
                        f"seen in training, read as missing: {shown}{more}")))
        return found

    def to_dict(self) -> dict[str, object]:
        return {"names": list(self.names),
                "levels": {k: list(v) for k, v in self.levels.items()},
                "monotone": list(self.monotone)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FeatureSpec:
        levels = {k: tuple(v) for k, v in data["levels"].items()}  # type: ignore[union-attr]
        return cls(tuple(data["names"]), levels, tuple(data["monotone"]))  # type: ignore[arg-type]

"""Feature columns as the rules, the matrix and the explanations read them, from Arrow or from
a few rows of plain Python values.

Scoring one enterprise per request spends most of its time in Arrow's fixed cost per column
and call (hundreds of columns, one row). `PyColumns` holds a few rows as Python lists and
answers the same questions with NumPy alone. Its meaning is fixed by one rule: a `PyColumns`
reads exactly as the Arrow table ``pa.table({name: pa.array(values)})`` would. It takes only
the values whose Arrow type that table would have without doubt (None, bool, int within
±2⁵³, float, str, date, each column of one kind, int mixed with float); anything else — or
more than `SMALL_ROWS` rows — stays an Arrow table (`columns_of`, `rows_columns`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
SMALL_ROWS = 32
"""Rows at most held as Python values; beyond this Arrow's per-column cost is amortised."""
EXACT_INT = 2**53
"""Integers beyond ±this are not all exact as float64: such a column stays in Arrow."""
_KINDS = {bool: "bool", int: "int", float: "float", str: "text", dt.date: "date"}
_TYPES = {"null": pa.null(), "bool": pa.bool_(), "int": pa.int64(), "float": pa.float64(),
          "text": pa.string(), "date": pa.date32()}


class Columns(Protocol):
    """What the rules, the matrix and the explanations read of a table of feature rows."""

    @property
    def num_rows(self) -> int: ...

    @property
    def column_names(self) -> list[str]: ...

    def type_of(self, name: str) -> pa.DataType: ...

    def valid(self, name: str) -> BoolArray:
        """True where the value is present (NaN is a present value, as in Arrow)."""
        ...

    def numbers(self, name: str) -> FloatArray:
        """The column cast to float64, NaN where missing (Arrow's cast errors as Arrow's)."""
        ...

    def texts(self, name: str) -> npt.NDArray[np.object_]:
        """The column cast to text, "" where missing."""
        ...

    def values(self, name: str) -> list[Any]:
        """The values as Python objects, None where missing."""
        ...

    def dates(self, name: str) -> npt.NDArray[np.datetime64]:
        """The column cast to dates (no missing values: the caller checks `valid`)."""
        ...


class ArrowColumns:
    """An Arrow table's columns, each converted once however often it is read."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self._cache: dict[tuple[str, str], Any] = {}

    @property
    def num_rows(self) -> int:
        return self.table.num_rows

    @property
    def column_names(self) -> list[str]:
        return self.table.column_names

    def type_of(self, name: str) -> pa.DataType:
        return self.table.schema.field(name).type

    def _once(self, kind: str, name: str, convert: Any) -> Any:
        key = (kind, name)
        if key not in self._cache:
            self._cache[key] = convert(self.table[name])
        return self._cache[key]

    def valid(self, name: str) -> BoolArray:
        return self._once("valid", name, lambda c: c.is_valid().to_numpy(zero_copy_only=False))

    def numbers(self, name: str) -> FloatArray:
        return self._once("numbers", name, lambda c: pc.cast(c, pa.float64()).fill_null(
            np.nan).to_numpy(zero_copy_only=False))

    def texts(self, name: str) -> npt.NDArray[np.object_]:
        return self._once("texts", name, lambda c: np.asarray(pc.cast(c, pa.string()).fill_null(
            "").to_numpy(zero_copy_only=False), dtype=object))

    def values(self, name: str) -> list[Any]:
        return self._once("values", name, lambda c: c.to_pylist())

    def dates(self, name: str) -> npt.NDArray[np.datetime64]:
        return self._once("dates", name, lambda c: pc.cast(c, pa.date32()).to_numpy(
            zero_copy_only=False).astype("datetime64[D]"))


class PyColumns:
    """A few rows as Python lists, read as ``pa.table({name: pa.array(values)})`` would be."""

    def __init__(self, columns: Mapping[str, list[Any]], kinds: Mapping[str, str],
                 num_rows: int) -> None:
        self._columns = dict(columns)
        self._kinds = dict(kinds)
        self._rows = num_rows
        self._arrow: dict[str, ArrowColumns] = {}

    @classmethod
    def of_dicts(cls, rows: Sequence[Mapping[str, object]]) -> PyColumns | None:
        """Rows as JSON objects give them (a key absent from a row is a missing value), or
        None when they are too many or hold a value outside the kinds taken."""
        if not 0 < len(rows) <= SMALL_ROWS:
            return None
        names = list(dict.fromkeys(name for row in rows for name in row))
        return cls._of({name: [row.get(name) for row in rows] for name in names}, len(rows))

    @classmethod
    def of_table(cls, table: pa.Table) -> PyColumns | None:
        """A small Arrow table whose column types survive the round trip through Python
        values (null, bool, integers, floats, text, dates), else None."""
        if not 0 < table.num_rows <= SMALL_ROWS or not all(
                _round_trips(field.type) for field in table.schema):
            return None
        return cls._of(table.to_pydict(), table.num_rows)

    @classmethod
    def _of(cls, columns: dict[str, list[Any]], rows: int) -> PyColumns | None:
        kinds = {}
        for name, values in columns.items():
            kind = _kind_of(values)
            if kind is None:
                return None
            kinds[name] = kind
        return cls(columns, kinds, rows)

    @property
    def num_rows(self) -> int:
        return self._rows

    @property
    def column_names(self) -> list[str]:
        return list(self._columns)

    def type_of(self, name: str) -> pa.DataType:
        return _TYPES[self._kinds[name]]

    def kind_of(self, name: str) -> str:
        """null, bool, int, float, text or date."""
        return self._kinds[name]

    def valid(self, name: str) -> BoolArray:
        return np.fromiter((v is not None for v in self._columns[name]), bool, self._rows)

    def numbers(self, name: str) -> FloatArray:
        if self._kinds[name] in ("null", "bool", "int", "float"):
            return np.fromiter((np.nan if v is None else float(v)
                                for v in self._columns[name]), np.float64, self._rows)
        return self.arrow(name).numbers(name)

    def texts(self, name: str) -> npt.NDArray[np.object_]:
        if self._kinds[name] in ("null", "text"):
            return np.asarray(["" if v is None else v for v in self._columns[name]], object)
        return self.arrow(name).texts(name)

    def values(self, name: str) -> list[Any]:
        return self._columns[name]

    def dates(self, name: str) -> npt.NDArray[np.datetime64]:
        if self._kinds[name] == "date":
            return np.array(self._columns[name], "datetime64[D]")
        return self.arrow(name).dates(name)

    def arrow(self, name: str) -> ArrowColumns:
        """The one column as Arrow would hold it, for conversions only Arrow defines."""
        if name not in self._arrow:
            self._arrow[name] = ArrowColumns(pa.table(
                {name: pa.array(self._columns[name], _TYPES[self._kinds[name]])}))
        return self._arrow[name]


def columns_of(data: pa.Table | Columns) -> Columns:
    """Columns to read ``data`` by: a small table as Python values, else Arrow's."""
    if not isinstance(data, pa.Table):
        return data
    return PyColumns.of_table(data) or ArrowColumns(data)


def _round_trips(data_type: pa.DataType) -> bool:
    return (pa.types.is_null(data_type) or pa.types.is_boolean(data_type)
            or pa.types.is_integer(data_type) or pa.types.is_floating(data_type)
            or pa.types.is_string(data_type) or pa.types.is_large_string(data_type)
            or pa.types.is_date(data_type))


def _kind_of(values: list[Any]) -> str | None:
    """The one kind of a column's values (int and float together read as float), or None."""
    if len(values) == 1:  # one supplied row, the service's usual request
        value = values[0]
        if value is None:
            return "null"
        kind = _KINDS.get(type(value))
        return None if kind == "int" and not -EXACT_INT <= value <= EXACT_INT else kind
    kinds = set()
    for value in values:
        if value is None:
            continue
        kind = _KINDS.get(type(value))
        if kind is None or (kind == "int" and not -EXACT_INT <= value <= EXACT_INT):
            return None
        kinds.add(kind)
    if not kinds:
        return "null"
    if len(kinds) == 1:
        return kinds.pop()
    return "float" if kinds == {"int", "float"} else None

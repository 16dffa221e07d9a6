"""Find enterprises of a store version by code or name prefix, from memory.

`EnterpriseDirectory` is opened once per store version (a service holds one) and keeps the
enterprises' code, name, region and industry sorted by code, with a second order by name.
A prefix is a contiguous run of either order, found by binary search; the matches are then
merged in code order and the region filter applied to those rows only, so a search costs
microseconds instead of a scan of the enterprises file (about 50 bytes per enterprise are
held: ≈ 100 MB for a province of 1,000,000).

Order is by Unicode code point, which is the byte order of UTF-8 that Arrow sorts by, so a
prefix's matches are exactly the rows whose first ``len(prefix)`` characters equal it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from features.store import Store

COLUMNS = ("uscc", "name", "region_code", "industry_code")


@dataclass(frozen=True)
class DirectoryEntry:
    uscc: str
    name: str
    region_code: str
    industry_code: str


class _Heads(Sequence[str]):
    """The first ``width`` characters of each value of a sorted text array (monotone, so it
    can be bisected)."""

    def __init__(self, values: pa.Array, width: int) -> None:
        self.values, self.width = values, width

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: int) -> str:  # type: ignore[override]
        return self.values[index].as_py()[:self.width]


def _prefix_run(sorted_values: pa.Array, prefix: str) -> tuple[int, int]:
    """The rows ``[start, end)`` of ``sorted_values`` that start with ``prefix``."""
    heads = _Heads(sorted_values, len(prefix))
    return bisect_left(heads, prefix), bisect_right(heads, prefix)


class EnterpriseDirectory:
    """The enterprises of ``store``'s published version (as it was when opened)."""

    def __init__(self, store: Store) -> None:
        self.store, self.version = store, store.version
        path = store.table_path("enterprises")
        if path is None:
            table = pa.table({c: pa.array([], pa.string()) for c in COLUMNS})
        else:
            table = pq.read_table(path, columns=list(COLUMNS))
        table = table.take(pc.sort_indices(table["uscc"])).combine_chunks()
        self._table = table
        self._usccs = table["uscc"].combine_chunks()
        names = table["name"].combine_chunks()
        named = pc.array_sort_indices(names, null_placement="at_end")
        named = named.slice(0, len(names) - names.null_count)
        self._names = names.take(named)
        self._name_rows = named.to_numpy().astype(np.int64)

    @property
    def enterprises(self) -> int:
        return self._table.num_rows

    def find(self, text: str, region_prefix: str | None = None,
             limit: int = 20) -> list[DirectoryEntry]:
        """Enterprises whose code starts with ``text`` upper-cased, or whose name starts with
        ``text`` as given, inside ``region_prefix`` (a division-code prefix; None: all), by
        code; at most ``limit``."""
        start, end = _prefix_run(self._usccs, text.upper())
        by_code = np.arange(start, end, dtype=np.int64)
        start, end = _prefix_run(self._names, text)
        rows = np.union1d(by_code, self._name_rows[start:end])  # sorted: code order
        if region_prefix:
            regions = self._table["region_code"].take(rows)
            inside = pc.fill_null(pc.starts_with(regions, region_prefix), False)
            rows = rows[inside.to_numpy(zero_copy_only=False)]
        found = self._table.take(rows[:limit]).to_pylist()
        return [DirectoryEntry(**{c: row[c] for c in COLUMNS}) for row in found]

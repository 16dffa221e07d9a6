"""Realistic corruption of text tables: broken codes and dates, unknown codes, negative
amounts, missing required values, and exact duplicate rows."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import pyarrow as pa

from features.contract import TABLES
from features.reference import uscc
from synthetic.calendar import to_date
from synthetic.writer import string_schema

DUPLICATE_SHARE = 0.15
"""Share of a table's dirty rows that are exact duplicates (added rows)."""

Values = list[str | None]
Corruption = Callable[[np.random.Generator, Values, Values], Values]
"""(rng, values of the target column, values of a helper column) -> new values."""


def _bad_check(rng: np.random.Generator, values: Values, _: Values) -> Values:
    """Change one character of a code to another alphabet character (always detectable)."""
    out: Values = []
    for v in values:
        v = v or "91410100MA00000000"
        pos = int(rng.integers(0, len(v)))
        choices = [c for c in uscc.ALPHABET if c != v[pos]]
        out.append(v[:pos] + choices[int(rng.integers(0, len(choices)))] + v[pos + 1 :])
    return out


def _impossible_date(rng: np.random.Generator, values: Values, _: Values) -> Values:
    tails = ("-02-30", "-02-31", "-04-31", "-06-31", "-09-31", "-11-31", "-13-01", "-00-10")
    return [(v or "2023-01-01")[:4] + tails[int(rng.integers(0, len(tails)))] for v in values]


def _shift_days(values: Values, offsets: np.ndarray) -> Values:
    days = np.array([np.datetime64(v or "2023-01-01", "D") for v in values]) + offsets
    return [str(d) for d in days]


def _before(rng: np.random.Generator, values: Values, reference: Values) -> Values:
    """A date 1-30 days before the reference column's date (e.g. collected < occurred)."""
    return _shift_days(reference, -rng.integers(1, 31, len(values)))


def _constant_choice(options: tuple[str | None, ...]) -> Corruption:
    def corrupt(rng: np.random.Generator, values: Values, _: Values) -> Values:
        return [options[int(rng.integers(0, len(options)))] for _ in values]
    return corrupt


def _negative(rng: np.random.Generator, values: Values, _: Values) -> Values:
    out: Values = []
    for v in values:
        amount = float(v) if v else float(rng.integers(1, 5000)) * 10
        out.append(str(-abs(amount)))
    return out


def _missing(_: np.random.Generator, values: Values, __: Values) -> Values:
    return [None] * len(values)


class Corruptor:
    """Corrupts about ``fraction`` of each table's rows (text tables only)."""

    def __init__(self, rng: np.random.Generator, fraction: float, end_day: int) -> None:
        self.rng = rng
        self.fraction = fraction
        self.end_day = end_day

    def _future(self, rng: np.random.Generator, values: Values, _: Values) -> Values:
        """A mistyped year decades ahead (2025 → 2052): in the future whenever it is read."""
        offsets = rng.integers(10 * 365, 60 * 365, len(values))
        end = np.datetime64(to_date(self.end_day), "D")
        return [str(end + o) for o in offsets]

    def kinds(self, table: str) -> list[tuple[str, str | None, Corruption]]:
        """(column, helper column, corruption) choices for a table."""
        code = ("uscc", None, _bad_check)
        unknown_region = _constant_choice(("419999", "000000", "4101", "410100X"))
        unknown_industry = _constant_choice(("Z99", "C99", "F5", "零售业"))
        by_table: dict[str, list[tuple[str, str | None, Corruption]]] = {
            "enterprises": [
                code, ("established_on", None, _impossible_date),
                ("established_on", None, self._future), ("region_code", None, unknown_region),
                ("industry_code", None, unknown_industry),
                ("registered_capital", None, _negative), ("name", None, _missing),
                ("enterprise_type", None, _constant_choice(("有限责任公司", "company", ""))),
                ("status", None, _missing),
            ],
            "records": [
                code, ("occurred_on", None, _impossible_date),
                ("collected_on", "occurred_on", _before), ("collected_on", None, self._future),
                ("record_type", None, _constant_choice(("行政处罚", "penalty", "other", "xzcf"))),
                ("outcome", None, _constant_choice(("passed", "已整改", "N/A", "ok"))),
                ("amount", None, _negative), ("record_type", None, _missing),
                ("occurred_on", None, _missing), ("uscc", None, _missing),
            ],
            "relations": [
                code, ("role", None, _constant_choice(("监事", "director", "LR"))),
                ("ended_on", "started_on", _before), ("started_on", None, _impossible_date),
                ("share", None, _constant_choice(("1.5", "-0.2", "120"))),
                ("party_id", None, _missing),
            ],
            "inspections": [
                code, ("inspected_on", None, _impossible_date),
                ("inspected_on", None, self._future),
                ("result", None, _constant_choice(("合格", "pass", "unknown"))),
                ("items", None, _missing), ("draw_id", None, _missing),
            ],
            "inspectors": [
                ("unit_region", None, unknown_region), ("qualifications", None, _missing),
                ("department", None, _constant_choice(("市场监管", "scjg", ""))),
                ("inspector_id", None, _missing),
            ],
        }
        return by_table[table]

    def apply(self, table: pa.Table, name: str) -> tuple[pa.Table, int]:
        """Corrupted copy of a text ``table`` and the number of dirty rows (duplicates
        included)."""
        n = table.num_rows
        if n == 0 or self.fraction <= 0:
            return table, 0
        rng = self.rng
        k = min(int(rng.binomial(n, min(self.fraction, 1.0))), n)
        rows = np.sort(rng.choice(n, size=k, replace=False))
        rng.shuffle(rows)
        n_dup = round(k * DUPLICATE_SHARE)
        dup_rows, bad_rows = np.sort(rows[:n_dup]), np.sort(rows[n_dup:])
        df = pl.from_arrow(table)
        kinds = self.kinds(name)
        which = rng.integers(0, len(kinds), bad_rows.size)
        for j, (column, helper, corrupt) in enumerate(kinds):
            idx = bad_rows[which == j]
            if idx.size == 0:
                continue
            current = df.get_column(column)
            values = current.gather(idx).to_list()
            ref = df.get_column(helper).gather(idx).to_list() if helper else values
            new = pl.Series(column, corrupt(rng, values, ref), dtype=pl.Utf8)
            updated = current.clone()
            updated.scatter(idx, new)
            df = df.with_columns(updated)
        order = np.sort(np.concatenate([np.arange(n), dup_rows]), kind="stable")
        df = df[order]
        schema = string_schema(TABLES[name].arrow_schema())
        return df.to_arrow().cast(schema), int(bad_rows.size + n_dup)


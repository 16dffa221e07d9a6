"""Column buffers for generated rows: records (numeric codes until written) and inspections."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from features.reference.record_types import BY_CODE, DOMAINS, RECORD_TYPES
from synthetic.calendar import NO_DATE
from synthetic.params import DEPT_BY_TYPE
from synthetic.regions import DEPT_INDEX

TYPE_CODES = tuple(rt.code for rt in RECORD_TYPES)
TYPE_INDEX = {code: i for i, code in enumerate(TYPE_CODES)}
OUTCOMES: tuple[str, ...] = tuple(dict.fromkeys(o for rt in RECORD_TYPES for o in rt.outcomes))
OUTCOME_INDEX = {o: i for i, o in enumerate(OUTCOMES)}
DOMAIN_INDEX = {d: i for i, d in enumerate(DOMAINS)}

RECORD_FIELDS: dict[str, type] = {
    "ent": np.int32, "rtype": np.int8, "occurred": np.int32, "dept": np.int8,
    "severity": np.int8, "amount": np.float64, "outcome": np.int16, "domain": np.int8,
    "removed": np.int32, "repaired": np.int32, "revoked": np.int32, "details": np.int32,
    "label": np.int32,
}
"""``dept`` is a department code; ``label`` the issuing office (-1 until assigned)."""
_MISSING: dict[str, object] = {
    "severity": 0, "amount": np.nan, "outcome": -1, "domain": -1, "removed": NO_DATE,
    "repaired": NO_DATE, "revoked": NO_DATE, "details": -1, "label": -1,
}
_DEPT_CHOICES = {
    code: (np.array([DEPT_INDEX[d] for d, _ in pairs]), np.array([p for _, p in pairs]))
    for code, pairs in DEPT_BY_TYPE.items()
}

Columns = dict[str, np.ndarray]


def text_array(values: np.ndarray) -> pa.Array:
    """A single-chunk Arrow string array from a NumPy string array (large NumPy unicode
    arrays otherwise convert to chunked arrays)."""
    arr = pa.array(values, pa.string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def concat(parts: list[Columns], fields: dict[str, type]) -> Columns:
    """Concatenate column dicts (an empty list gives empty columns)."""
    return {
        name: (np.concatenate([p[name] for p in parts]) if parts else np.zeros(0, dtype))
        for name, dtype in fields.items()
    }


def take(cols: Columns, index: np.ndarray) -> Columns:
    return {name: values[index] for name, values in cols.items()}


class Vocabulary:
    """Append-only string vocabulary (insertion order is deterministic)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def get(self, value: str) -> int:
        if value not in self._index:
            self._index[value] = len(self.items)
            self.items.append(value)
        return self._index[value]


class RecordBuilder:
    """Collects the records of one month as numeric columns."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.parts: list[Columns] = []

    def emit(self, code: str, ent: np.ndarray, occurred: np.ndarray, **fields: object) -> None:
        """Add records of type ``code``; omitted optional fields are missing and the
        department is drawn from the type's department mix unless given."""
        n = ent.shape[0]
        if n == 0:
            return
        rt = BY_CODE[code]
        cols: Columns = {"ent": ent.astype(np.int32), "occurred": occurred.astype(np.int32),
                         "rtype": np.full(n, TYPE_INDEX[code], np.int8)}
        if "dept" not in fields:
            choices, probs = _DEPT_CHOICES[code]
            fields["dept"] = choices[self.rng.choice(choices.shape[0], size=n, p=probs)]
        if "revoked" not in fields:
            fields["revoked"] = self._revocations(code, occurred)
        for name, dtype in RECORD_FIELDS.items():
            if name in cols:
                continue
            value = fields.get(name, _MISSING.get(name))
            cols[name] = np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()
        if rt.outcomes and (cols["outcome"] < 0).any():
            raise ValueError(f"record type {code}: outcome required for every record")
        self.parts.append(cols)

    def _revocations(self, code: str, occurred: np.ndarray) -> np.ndarray:
        """A few records per thousand are revoked after a dispute (异议)."""
        rt = BY_CODE[code]
        p = 0.010 if (rt.is_list or rt.has_severity or code == "complaint") else 0.002
        hit = self.rng.random(occurred.shape[0]) < p
        delay = self.rng.integers(20, 150, occurred.shape[0])
        return np.where(hit, occurred + delay, NO_DATE).astype(np.int32)

    def build(self) -> Columns:
        return concat(self.parts, RECORD_FIELDS)


INSPECTION_FIELDS: dict[str, type] = {
    "draw": np.int32, "ent": np.int32, "day": np.int32, "n_items": np.int8,
    "result": np.int8, "dept": np.int32,
}
"""Inspection rows; item indices are kept alongside as a flat array (``items``)."""

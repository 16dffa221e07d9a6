"""Score a feature table with a registered model: probability, score and class for every row."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from models.pyfunc import load_risk_model
from models.tables import read_table_file, write_table_file


@dataclass(frozen=True)
class ScoredFile:
    rows: int
    class_counts: dict[str, int]
    model_uri: str


def score_file(model_uri: str, table: Path, out: Path, keep: tuple[str, ...] = ()) -> ScoredFile:
    """Write ``probability``, ``score`` and ``risk_class`` (after any ``keep`` columns) for every
    input row, in input order, as CSV or Parquet by ``out``'s extension."""
    model = load_risk_model(model_uri)
    data = read_table_file(table)
    missing = [c for c in keep if c not in data.column_names]
    if missing:
        raise ValueError(f"{table}: --keep names columns not in the table: {', '.join(missing)}")
    predictions = model.predict(data, source=str(table))
    result = pa.table({**{c: data[c] for c in keep},
                       **{c: predictions[c] for c in predictions.column_names}})
    write_table_file(result, out)
    counts = pc.value_counts(predictions["risk_class"]).to_pylist()
    return ScoredFile(result.num_rows, {c["values"]: c["counts"] for c in sorted(
        counts, key=lambda c: c["values"])}, model_uri)

"""Classify a feature table with a registered model: model score, rules, final class per row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from models.classification import classify
from models.policy.profiles import Profile
from models.policy.rules import RuleSet
from models.pyfunc import load_risk_model
from models.tables import read_table_file, write_table_file


@dataclass(frozen=True)
class ScoredFile:
    rows: int
    class_counts: dict[str, int]
    """Rows per class label of the profile, in risk order."""
    model_uri: str
    rules_version: str
    profile: str


def score_file(
    model_uri: str, table: Path, out: Path, keep: tuple[str, ...] = (),
    jurisdiction: Profile | None = None, rules: RuleSet | None = None,
    as_of: dt.date | None = None,
) -> ScoredFile:
    """Write the classification columns (after any ``keep`` columns) for every input row, in
    input order, as CSV or Parquet by ``out``'s extension. Rules default to the model's own."""
    model = load_risk_model(model_uri)
    data = read_table_file(table)
    missing = [c for c in keep if c not in data.column_names]
    if missing:
        raise ValueError(f"{table}: --keep names columns not in the table: {', '.join(missing)}")
    result = classify(model, data, jurisdiction, rules, as_of, source=str(table))
    classified = result.to_arrow()
    output = pa.table({**{c: data[c] for c in keep},
                       **{c: classified[c] for c in classified.column_names}})
    if out.suffix.lower() == ".csv":
        output = output.set_column(output.column_names.index("fired_rules"), "fired_rules",
                                   pc.binary_join(output["fired_rules"], ";"))
    write_table_file(output.replace_schema_metadata(classified.schema.metadata), out)
    counts = dict.fromkeys(result.judgement.profile.labels_of(range(4)).tolist(), 0)
    for row in pc.value_counts(classified["class_label"]).to_pylist():
        counts[row["values"]] = row["counts"]
    return ScoredFile(output.num_rows, counts, model_uri, result.judgement.rules_version,
                      result.judgement.profile.key)

"""Score a table: model score, rules and final class for every row, in input order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from models.classification import classify
from models.feature_frame import InputWarning
from models.policy.profiles import Profile
from models.policy.rules import RuleSet
from models.registry import LoadedModel
from models.tables import read_table_file, write_table_file
from serving.use_cases.errors import InvalidRequest


@dataclass(frozen=True)
class ScoredTable:
    table: pa.Table
    """The ``keep`` columns, then probability, model score and level, final score, risk
    level, class label and fired rules; the rules version and profile in its metadata."""
    class_counts: dict[str, int]
    """Rows per class label of the profile, in risk order."""
    model_version: str
    rules_version: str
    profile: str
    warnings: tuple[InputWarning, ...] = field(default=())
    """Feature columns read as missing wholesale (empty, or categories unseen in training)."""

    @property
    def rows(self) -> int:
        return self.table.num_rows


def score_table(
    model: LoadedModel, data: pa.Table, profile: Profile, keep: tuple[str, ...] = (),
    rules: RuleSet | None = None, as_of: dt.date | None = None, source: str = "table",
) -> ScoredTable:
    """Classify every row of ``data`` (feature columns named as in the catalog). Rules default
    to the model's own; ``as_of`` dates them when the table has no ``as_of`` column."""
    missing = [c for c in keep if c not in data.column_names]
    if missing:
        raise InvalidRequest(f"{source}: --keep names columns not in the table: "
                             f"{', '.join(missing)}")
    result = classify(model.model, data, profile, rules, as_of, source=source)
    classified = result.to_arrow()
    output = pa.table({**{c: data[c] for c in keep},
                       **{c: classified[c] for c in classified.column_names}})
    counts = dict.fromkeys(result.judgement.profile.labels_of(range(4)).tolist(), 0)
    for row in pc.value_counts(classified["class_label"]).to_pylist():
        counts[row["values"]] = row["counts"]
    return ScoredTable(output.replace_schema_metadata(classified.schema.metadata), counts,
                       model.version, result.judgement.rules_version,
                       result.judgement.profile.key,
                       tuple(model.model.spec.input_warnings(data, source)))


def score_file(
    model: LoadedModel, table: Path, out: Path, profile: Profile, keep: tuple[str, ...] = (),
    rules: RuleSet | None = None, as_of: dt.date | None = None,
) -> ScoredTable:
    """`score_table` from a CSV or Parquet file to another (format by ``out``'s extension;
    in CSV the fired rules are joined by ``;``). ``out`` may not be ``table`` itself."""
    if out.resolve() == table.resolve():
        raise InvalidRequest(f"--out {out} is the input table {table}: writing it would "
                             "replace the input; choose another output file")
    scored = score_table(model, read_table_file(table), profile, keep, rules, as_of,
                         source=str(table))
    output = scored.table
    if out.suffix.lower() == ".csv":
        output = output.set_column(output.column_names.index("fired_rules"), "fired_rules",
                                   pc.binary_join(output["fired_rules"], ";"))
    write_table_file(output.replace_schema_metadata(scored.table.schema.metadata), out)
    return scored

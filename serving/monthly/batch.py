"""Score, judge and explain Arrow record batches: the one function the monthly run maps.

`BatchClassifier` turns feature batches into result batches (the columns of the results
table). It holds no connection and writes nothing, so it runs the same in-process (the
default) and under a distributed engine: ``spark_df.mapInArrow(classifier, RESULT_SCHEMA)``
ships the classifier (model, compiled explanation tables, rules, profile) to the executors.

Besides the features, a batch may carry the enterprise's registering division
(``region_code``) and professional domains (``domain_tags``), as `with_enterprise_context`
adds them: the county and domains stored with each result come from them (NULL without).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from features.store import Store
from models.explain.explanation import top_factors
from models.explain.points import Explainer
from models.levels import LEVELS
from models.policy.judgement import judge
from models.policy.profiles import Profile
from models.policy.rules import RuleSet
from serving.results.schema import RESULT_SCHEMA, TOP_FACTORS


@dataclass
class BatchClassifier:
    explainer: Explainer
    rules: RuleSet
    profile: Profile
    period: dt.date
    model_version: str
    """The registered ``name/version`` (or URI) recorded on every row, with the rules'."""

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield self.classify(batch)

    def classify(self, batch: pa.RecordBatch | pa.Table) -> pa.RecordBatch:
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        model = self.explainer.model
        x = model.spec.matrix(table)
        attribution = self.explainer.attribute(x)
        judgement = judge(attribution.model_score, table, self.rules, self.profile,
                          self.period)
        names = np.asarray(attribution.names, dtype=object)
        raising, lowering = top_factors(attribution.points, TOP_FACTORS)
        factors: dict[str, pa.Array] = {}
        for way, index in (("up", raising), ("down", lowering)):
            for rank in range(TOP_FACTORS):
                column = index[:, rank]
                present = column >= 0
                picked = np.where(present, column, 0)
                points = attribution.points[np.arange(len(x)), picked]
                factors[f"factor_{way}_{rank + 1}"] = pa.array(
                    np.where(present, names[picked], None), pa.string())
                factors[f"points_{way}_{rank + 1}"] = pa.array(
                    np.where(present, points, np.nan), pa.float64(), mask=~present)
        levels = np.asarray(LEVELS)
        fired = judgement.fired_rules()
        columns = {
            "uscc": table["uscc"].cast(pa.string()),
            "period": pa.array([self.period] * len(x), pa.date32()),
            "model_score": pa.array(judgement.model_score),
            "final_score": pa.array(judgement.final_score),
            "model_level": pa.array(levels[judgement.model_level]),
            "risk_level": pa.array(levels[judgement.final_level]),
            "class_label": pa.array(self.profile.labels_of(judgement.final_level)),
            "fired_rules": pc.binary_join(fired, ";"),
            "base_points": pa.array(np.full(len(x), attribution.base_points)),
            **factors,
            "prefecture": _text(table, "prefecture"),
            "county": county_of(_text(table, "region_code")),
            "industry_section": _text(table, "industry_section"),
            "industry_division": _text(table, "industry_division"),
            "domain_tags": _joined_tags(table),
            "input_fingerprint": pa.array(row_fingerprints(x), pa.string()),
            "model_version": pa.array([self.model_version] * len(x), pa.string()),
            "rules_version": pa.array([self.rules.version_id] * len(x), pa.string()),
        }
        return pa.RecordBatch.from_pydict(
            {name: _combined(columns[name]) for name in RESULT_SCHEMA.names},
            schema=RESULT_SCHEMA)


CONTEXT_COLUMNS = ("region_code", "domain_tags")
"""What `with_enterprise_context` adds to a feature table from the store's enterprises."""


def with_enterprise_context(features: pa.Table, store: Store) -> pa.Table:
    """``features`` (rows in their order) with each enterprise's `CONTEXT_COLUMNS` from the
    store's ``enterprises`` table (NULL for an enterprise the table lacks)."""
    path = store.table_path("enterprises")
    names = ["uscc", *CONTEXT_COLUMNS]
    enterprises = (pq.read_table(path, columns=names) if path is not None else
                   pa.table({"uscc": pa.array([], pa.string()),
                             "region_code": pa.array([], pa.string()),
                             "domain_tags": pa.array([], pa.list_(pa.string()))}))
    position = pc.index_in(features["uscc"].cast(pa.string()),
                           value_set=enterprises["uscc"].cast(pa.string()))
    for name in CONTEXT_COLUMNS:
        features = features.append_column(name, enterprises[name].take(position))
    return features


def county_of(region_code: pa.Array) -> pa.Array:
    """The county-level division of each GB/T 2260 code: the code itself unless it ends in
    ``00`` (a prefecture or the province), which has none (NULL)."""
    county_level = pc.and_(pc.equal(pc.utf8_length(region_code), 6),
                           pc.invert(pc.ends_with(region_code, "00")))
    return pc.if_else(county_level, region_code, pa.scalar(None, pa.string()))


def _joined_tags(table: pa.Table) -> pa.Array:
    if "domain_tags" not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    tags = _combined(table["domain_tags"])
    if pa.types.is_string(tags.type):
        return tags
    return pc.fill_null(pc.binary_join(tags, ";"), "")


def row_fingerprints(x: npt.NDArray[np.float64]) -> list[str]:
    """BLAKE2b-128 of each row of the model's input matrix: the enterprise's feature values as
    the model read them (NaN for gaps), so a changed record shows as a changed fingerprint."""
    rows = np.ascontiguousarray(x, dtype="<f8")
    return [hashlib.blake2b(row.tobytes(), digest_size=16).hexdigest() for row in rows]


def _text(table: pa.Table, name: str) -> pa.Array:
    if name in table.column_names:
        return _combined(table[name].cast(pa.string()))
    return pa.nulls(table.num_rows, pa.string())


def _combined(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array

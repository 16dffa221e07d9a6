"""The batch classifier is one function over Arrow record batches: in-process and under
Spark's mapInArrow it gives the same results."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from features.engines import compute_features
from features.store import Store
from models.explain.points import Explainer
from models.policy.profiles import profile
from serving.monthly.batch import RESULT_SCHEMA, BatchClassifier
from tests.conftest import Trained

PERIOD = dt.date(2025, 12, 31)


def test_map_in_arrow_matches_in_process(spark: Any, synthetic_store: Store,
                                         trained: Trained) -> None:
    from pyspark.sql.pandas.types import from_arrow_schema

    features = compute_features(synthetic_store, PERIOD).slice(0, 1500)
    classifier = BatchClassifier(Explainer(trained.model), trained.model.rules, profile(),
                                 PERIOD, trained.model_uri)
    local = pa.Table.from_batches(list(classifier(features.to_batches(400))))
    frame = spark.createDataFrame(features).repartition(3)
    distributed = frame.mapInArrow(classifier, from_arrow_schema(RESULT_SCHEMA)).toArrow()
    distributed = distributed.cast(RESULT_SCHEMA).sort_by("uscc")
    local = local.sort_by("uscc")
    assert distributed.num_rows == local.num_rows == features.num_rows
    for name in RESULT_SCHEMA.names:
        assert distributed[name].to_pylist() == local[name].to_pylist(), name

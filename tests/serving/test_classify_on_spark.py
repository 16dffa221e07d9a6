"""`classify_period(engine="spark")` stores what the in-process run stores, column by column:
results, feature snapshot, warnings, analysis and region risk, on SQLite and PostgreSQL.

One difference is Spark's arithmetic, not ours: Spark's ``exp`` (Java's ``StrictMath``, fdlibm)
and DuckDB's (the C library's) disagree in the last bit for about one argument in ten, so the
``*_decayed`` features (sums of exponential weights) may differ by a few units in the last
place. Those are compared within `DECAYED_TOLERANCE` (relative); the input fingerprint, a hash
of the exact feature bytes, is then checked to be the hash of the run's own snapshot row
(and equal wherever the model's inputs are bit-identical). Everything else must be equal.

Runs under ``local[2]`` on the session-wide `spark` fixture; mandatory under ``.ci/run``
(ECR_REQUIRE_SPARK=1).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from features.store import Store
from models.policy.profiles import profile
from models.registry import ModelRegistry
from serving.monthly.batch import row_fingerprints
from serving.monthly.spark_run import SparkOptions
from serving.results.schema import RESULT_SCHEMA, feature_snapshots
from serving.results.store import ResultsStore
from serving.use_cases import classify_period
from tests.conftest import Trained

NOVEMBER, DECEMBER = dt.date(2025, 11, 30), dt.date(2025, 12, 31)
DECAYED_TOLERANCE = 1e-12
"""Relative; measured differences are ≤ 2.2e-16 (one or two units in the last place)."""


def snapshot(results: ResultsStore, run_id: str) -> tuple[list[tuple], pa.Table]:
    """The run's chunk keys and its feature rows, decoded."""
    import pyarrow.ipc as ipc

    query = (sa.select(feature_snapshots).where(feature_snapshots.c.run_id == run_id)
             .order_by(feature_snapshots.c.first_uscc))
    with results.engine.connect() as connection:
        rows = connection.execute(query).fetchall()
    keys = [(r.first_uscc, r.last_uscc, r.rows) for r in rows]
    tables = [ipc.open_stream(pa.py_buffer(bytes(r.features))).read_all() for r in rows]
    return keys, pa.concat_tables(tables)


def assert_same_features(local: pa.Table, spark: pa.Table) -> set[str]:
    """Equal features, ``*_decayed`` within the tolerance; the codes whose values differ."""
    assert spark.schema.equals(local.schema)
    assert spark["uscc"].to_pylist() == local["uscc"].to_pylist()
    codes = np.asarray(local["uscc"].to_pylist())
    differing: set[str] = set()
    for name in local.column_names:
        if local[name].equals(spark[name]):
            continue
        assert name.endswith("_decayed"), name
        left = local[name].to_numpy(zero_copy_only=False).astype(float)
        right = spark[name].to_numpy(zero_copy_only=False).astype(float)
        np.testing.assert_allclose(right, left, rtol=DECAYED_TOLERANCE, atol=0, err_msg=name)
        differing |= set(codes[left != right])
    return differing


def test_spark_run_stores_what_the_in_process_run_stores(
        spark: Any, synthetic_store: Store, trained: Trained, database_url: str,
        tmp_path: Path) -> None:
    results = ResultsStore(database_url).migrate()
    model = ModelRegistry(trained.tracking_uri).load(trained.model_uri)
    classify_period(synthetic_store, results, model, NOVEMBER, profile())
    local = classify_period(synthetic_store, results, model, DECEMBER, profile())
    distributed = classify_period(
        synthetic_store, results, model, DECEMBER, profile(), force=True, engine="spark",
        batch_rows=700, spark=SparkOptions(session=spark, work_dir=tmp_path / "spark"))
    assert not list((tmp_path / "spark").glob("period=*"))  # the work files are removed
    a, b = local.run.run_id, distributed.run.run_id
    assert results.published_run(DECEMBER).run_id == b
    assert distributed.run.rows == local.run.rows > 1000

    keys_a, features_a = snapshot(results, a)
    keys_b, features_b = snapshot(results, b)
    assert keys_b == keys_a
    differing = assert_same_features(features_a, features_b)

    stored_a, stored_b = results.results_of(a), results.results_of(b)
    assert stored_b.num_rows == stored_a.num_rows
    for name in RESULT_SCHEMA.names:
        if name != "input_fingerprint":
            assert stored_b[name].to_pylist() == stored_a[name].to_pylist(), name
    spec = model.model.spec
    for uscc, left, right in zip(stored_a["uscc"].to_pylist(),
                                 stored_a["input_fingerprint"].to_pylist(),
                                 stored_b["input_fingerprint"].to_pylist(), strict=True):
        if uscc not in differing:
            assert right == left, uscc
    for uscc in sorted(differing)[:20]:  # a changed fingerprint is that of the stored row
        row = results.feature_row(b, uscc)
        index = stored_b["uscc"].to_pylist().index(uscc)
        assert stored_b["input_fingerprint"][index].as_py() == row_fingerprints(
            spec.matrix(row))[0]

    assert results.warnings_of(b) == results.warnings_of(a)
    assert results.analysis_of(b) == results.analysis_of(a)
    assert results.analysis_of(b).migration is not None  # November was the previous period
    for level in ("prefecture", "county"):
        assert results.region_risk_of(b, level) == results.region_risk_of(a, level)
    assert [w.uscc for w in distributed.warnings] == [w.uscc for w in local.warnings]
    results.engine.dispose()


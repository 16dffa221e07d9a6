"""The feature table put together part by part equals the joined expression Spark runs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from features.catalog import CATALOG, Unit
from features.engineering import features_at
from features.engineering.parts import feature_parts
from features.engineering.pit import AsOf
from features.engines import compute_features, duckdb_backend, load_tables
from features.part_assembly import features_by_parts
from features.store import Store
from tests.features.engineering import handmade as h

DECAYED = {f.name for f in CATALOG if f.unit is Unit.DECAYED}
"""Sums of floats in the engine's order, which its threads vary from run to run."""


def _joined(store: Store, as_of: dt.date) -> pa.Table:
    tables = load_tables(duckdb_backend(), store)
    with features_at(tables, as_of) as expression:
        return expression.order_by("uscc").to_pyarrow()


def _assert_same(parts: pa.Table, joined: pa.Table) -> None:
    assert parts.schema == joined.schema
    assert parts.num_rows == joined.num_rows
    for name in joined.column_names:
        if name in DECAYED:
            left = parts[name].to_numpy(zero_copy_only=False)
            right = joined[name].to_numpy(zero_copy_only=False)
            np.testing.assert_allclose(left, right, rtol=1e-12, atol=0, err_msg=name)
        else:
            assert parts[name].equals(joined[name]), name


@pytest.mark.parametrize("as_of", [h.AS_OF, dt.date(2024, 2, 29), dt.date(2023, 12, 31)])
def test_the_handmade_province_by_parts_is_the_joined_table(tmp_path, as_of) -> None:
    store = h.build_store(tmp_path)
    _assert_same(compute_features(store, as_of), _joined(store, as_of))


def test_a_synthetic_province_by_parts_is_the_joined_table(synthetic_store) -> None:
    as_of = dt.date(2024, 12, 31)
    parts = compute_features(synthetic_store, as_of)
    assert parts.num_rows > 1000
    assert parts["uscc"].to_pylist() == sorted(parts["uscc"].to_pylist())
    _assert_same(parts, _joined(synthetic_store, as_of))


def test_every_feature_comes_from_exactly_one_part(synthetic_store) -> None:
    tables = load_tables(duckdb_backend(), synthetic_store)
    found = feature_parts(tables, AsOf(dt.date(2024, 12, 31)))
    names = [c for c in found.basic.columns if c != "uscc"]
    for part in found.parts:
        names += [c for c in part.columns if c not in ("uscc", "_key")]
    public = [n for n in names if not n.startswith("_")]
    assert sorted(public) == sorted(f.name for f in CATALOG)


def test_a_feature_no_part_gives_is_named(synthetic_store, monkeypatch) -> None:
    import features.part_assembly as assembly

    monkeypatch.setitem(assembly.UNITS, "not_a_feature", Unit.COUNT)
    tables = load_tables(duckdb_backend(), synthetic_store)
    with pytest.raises(ValueError, match="no part gives the features not_a_feature"):
        features_by_parts(tables, dt.date(2024, 12, 31))


def test_a_date_before_any_enterprise_gives_no_rows_in_the_same_columns(tmp_path) -> None:
    store = h.build_store(tmp_path)
    before = dt.date(2010, 1, 31)
    parts = compute_features(store, before)
    assert parts.num_rows == 0
    assert parts.schema == _joined(store, before).schema

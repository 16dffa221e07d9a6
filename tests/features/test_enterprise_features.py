"""Features of a few enterprises equal the whole province's features for those enterprises."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from features.coverage import DateOutsideData
from features.engines import compute_features
from features.enterprise_features import EnterpriseFeatures, features_of
from features.store import Store
from features.training_set import data_end, data_start
from tests.features.engineering import handmade as h

DECEMBER = dt.date(2025, 12, 31)
RELATED = ("persons_linked", "related_enterprises", "enterprise_shareholders",
           "investments_out", "legal_rep_other_enterprises")


@pytest.fixture(scope="module")
def reader(synthetic_store: Store) -> EnterpriseFeatures:
    return EnterpriseFeatures(synthetic_store)


@pytest.fixture(scope="module")
def province(synthetic_store: Store) -> pa.Table:
    return compute_features(synthetic_store, DECEMBER)


def assert_same_rows(few: pa.Table, whole: pa.Table) -> None:
    """Column by column: exact for integers, text and dates; floating sums may differ in the
    last bits with the order DuckDB adds them in (NaN where NaN)."""
    expected = whole.filter(pc.is_in(whole["uscc"], few["uscc"]))
    assert few.schema == expected.schema
    assert few["uscc"].to_pylist() == expected["uscc"].to_pylist()
    for name in expected.column_names:
        left, right = few[name].combine_chunks(), expected[name].combine_chunks()
        if pa.types.is_floating(right.type):
            a = left.to_numpy(zero_copy_only=False)
            b = right.to_numpy(zero_copy_only=False)
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=0, equal_nan=True, err_msg=name)
            assert np.array_equal(np.isnan(a), np.isnan(b)), name
        else:
            assert left.equals(right), name


def test_a_sample_with_related_parties_equals_the_province(
        reader: EnterpriseFeatures, province: pa.Table) -> None:
    rng = np.random.default_rng(5)
    sample = set(rng.choice(province["uscc"].to_pylist(), 40, replace=False).tolist())
    for column in RELATED:  # some enterprises that have each kind of related party
        has = province.filter(pc.greater(province[column], 0))["uscc"].to_pylist()
        assert has, column
        sample.update(has[:3])
    few = reader.compute(sorted(sample), DECEMBER)
    assert few.missing == ()
    assert few.table.num_rows == len(sample)
    assert_same_rows(few.table, province)


def test_one_enterprise_at_a_time_equals_the_province(
        reader: EnterpriseFeatures, province: pa.Table) -> None:
    linked = province.filter(pc.greater(province["related_enterprises"], 0))
    for uscc in linked["uscc"].to_pylist()[:5]:
        few = reader.compute([uscc], DECEMBER)
        assert few.table["uscc"].to_pylist() == [uscc]
        assert_same_rows(few.table, province)


def test_an_enterprise_not_alive_is_missing_not_dropped(
        synthetic_store: Store, reader: EnterpriseFeatures, province: pa.Table) -> None:
    with synthetic_store.connect() as connection:
        closed = connection.execute(
            "SELECT uscc FROM enterprises WHERE deregistered_on <= ? ORDER BY uscc LIMIT 1",
            [DECEMBER]).fetchone()[0]
    alive = province["uscc"][0].as_py()
    unknown = "91350200776049653A"
    few = reader.compute([unknown, alive, closed, alive], DECEMBER)
    assert few.table["uscc"].to_pylist() == [alive]
    assert few.missing == (unknown, closed)
    assert reader.compute([], DECEMBER).table.num_rows == 0


def test_the_date_guard_applies(synthetic_store: Store, reader: EnterpriseFeatures) -> None:
    assert (reader.data_start, reader.data_end) == (data_start(synthetic_store),
                                                    data_end(synthetic_store))
    with pytest.raises(DateOutsideData, match="as_of 2031-01-01 is after the store's data"):
        reader.compute(["91350200776049653A"], dt.date(2031, 1, 1))
    with pytest.raises(DateOutsideData, match="--on 1990-01-01 is before the store's data"):
        reader.compute(["91350200776049653A"], dt.date(1990, 1, 1), option="--on")


def test_every_handmade_enterprise_alone_equals_the_province(tmp_path: Path) -> None:
    """The hand-computed province: shared persons, ended roles, investors, closed ones."""
    store = h.build_store(tmp_path)
    whole = compute_features(store, h.AS_OF)
    reader = EnterpriseFeatures(store)
    for uscc in whole["uscc"].to_pylist():
        assert_same_rows(reader.compute([uscc], h.AS_OF).table, whole)
    assert_same_rows(reader.compute(whole["uscc"].to_pylist(), h.AS_OF).table, whole)


def test_a_one_off_question_gathers_the_same_rows(
        synthetic_store: Store, province: pa.Table) -> None:
    linked = province.filter(pc.greater(province["related_enterprises"], 0))
    usccs = linked["uscc"].to_pylist()[:3]
    few = features_of(synthetic_store, [*usccs, "91350200776049653A"], DECEMBER)
    assert few.missing == ("91350200776049653A",)
    assert_same_rows(few.table, province)
    with pytest.raises(DateOutsideData, match="--as-of 2031-01-01 is after"):
        features_of(synthetic_store, usccs, dt.date(2031, 1, 1))


def test_threads_share_one_reader(reader: EnterpriseFeatures, province: pa.Table) -> None:
    codes = province["uscc"].to_pylist()[:8]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda c: reader.compute([c], DECEMBER).table, codes * 2))
    for code, table in zip(codes * 2, results, strict=True):
        assert table["uscc"].to_pylist() == [code]
        assert_same_rows(table, province)

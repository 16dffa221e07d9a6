"""The feature catalog: complete, consistent, and what training reads from it."""

import ibis
import numpy as np
import pytest

from features.catalog import (
    CATALOG,
    CATEGORICAL,
    DIMENSION_NAMES,
    FEATURE_NAMES,
    Dimension,
    monotone_constraints,
)
from features.engineering.pit import working_days


def test_entries_are_unique_and_complete() -> None:
    assert len(set(FEATURE_NAMES)) == len(CATALOG) >= 81
    for feature in CATALOG:
        assert feature.zh and feature.en and feature.description, feature.name
        assert feature.direction in (-1, 0, 1), feature.name
    assert {f.dimension for f in CATALOG} == set(Dimension) == set(DIMENSION_NAMES)


def test_monotone_constraints_follow_the_catalog_in_the_order_asked() -> None:
    names = ["penalties_12m", "honours_36m", "age_years"]
    assert monotone_constraints(names) == [1, -1, 0]
    with pytest.raises(KeyError):
        monotone_constraints(["no_such_feature"])


def test_categorical_features_are_unconstrained() -> None:
    assert set(CATEGORICAL) == {
        "enterprise_type", "industry_section", "industry_division", "prefecture"}
    assert monotone_constraints(CATEGORICAL) == [0] * len(CATEGORICAL)


def test_working_days_match_numpy_busday_count() -> None:
    rng = np.random.default_rng(3)
    start = np.datetime64("2023-12-20") + rng.integers(0, 60, 400)
    end = start + rng.integers(0, 90, 400)
    table = ibis.memtable({"start": start.tolist(), "end": end.tolist()})
    table = table.mutate(start=table.start.cast("date"), end=table.end.cast("date"))
    result = table.select(days=working_days(table.start, table.end)).to_pyarrow()
    assert result["days"].to_pylist() == np.busday_count(start, end).tolist()

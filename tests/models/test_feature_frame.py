"""The model's encoding of a feature table: order, categories, missing values, clear errors."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from models.feature_frame import FeatureSpec, FeatureTableError

TRAINING = pa.table({
    "penalties_12m": [0, 2, 1],
    "capital": [1.5, None, 3.0],
    "industry_section": ["C", "F", None],
})


def test_catalog_directions_and_levels() -> None:
    spec = FeatureSpec.from_catalog(TRAINING, ["penalties_12m", "capital", "industry_section"])
    assert spec.levels == {"industry_section": ("C", "F")}
    assert spec.monotone == (1, 0, 0)
    assert FeatureSpec.from_dict(spec.to_dict()) == spec


def test_matrix_orders_columns_and_encodes_unseen_as_missing() -> None:
    spec = FeatureSpec.infer(TRAINING, ["industry_section", "penalties_12m"])
    scoring = pa.table({"penalties_12m": [3, None], "industry_section": ["F", "Z"],
                        "extra": [1, 2]})
    x = spec.matrix(scoring)
    assert x[0].tolist() == [1.0, 3.0]
    assert math.isnan(x[1, 0]) and math.isnan(x[1, 1])


def test_missing_column_is_named() -> None:
    spec = FeatureSpec.infer(TRAINING, ["penalties_12m", "capital"])
    with pytest.raises(FeatureTableError, match=r"scores\.csv: expected feature columns capital"):
        spec.matrix(pa.table({"penalties_12m": [1]}), "scores.csv")


def test_text_in_a_numeric_column_is_named() -> None:
    spec = FeatureSpec.infer(TRAINING, ["penalties_12m"])
    with pytest.raises(FeatureTableError, match=r"'penalties_12m': expected numbers.*'three'"):
        spec.matrix(pa.table({"penalties_12m": ["three"]}))


def test_unsupported_training_column_type_is_named() -> None:
    table = pa.table({"founded": pa.array([0, 1], pa.date32())})
    with pytest.raises(FeatureTableError, match="'founded': expected a number or a category"):
        FeatureSpec.infer(table, ["founded"])

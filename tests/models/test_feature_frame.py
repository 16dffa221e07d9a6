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


def test_an_infinite_value_is_refused_naming_row_and_column() -> None:
    spec = FeatureSpec.infer(TRAINING, ["penalties_12m", "capital"])
    scoring = pa.table({"penalties_12m": [1, 2], "capital": [1.0, -math.inf]})
    with pytest.raises(FeatureTableError, match=r"s\.csv: row 2, column 'capital': expected a "
                                                r"finite number, found -inf"):
        spec.matrix(scoring, "s.csv")


@pytest.mark.parametrize("name", ["penalties_12m", "registered_capital", "days_since_penalty",
                                  "age_years"])
def test_a_negative_value_where_the_unit_cannot_be_negative_is_refused(name: str) -> None:
    spec = FeatureSpec.infer(pa.table({name: [1.0, 2.0]}), [name])
    with pytest.raises(FeatureTableError, match=rf"row 3, column '{name}': expected a number "
                                                r"≥ 0 \(.*\), found -1"):
        spec.matrix(pa.table({name: [0.0, None, -1.0]}), "s.csv")


def test_negative_values_in_other_columns_are_scored() -> None:
    spec = FeatureSpec.infer(TRAINING, ["capital"])
    assert spec.matrix(pa.table({"capital": [-2.5]}))[0, 0] == -2.5


def test_input_warnings_name_empty_columns_and_unseen_categories() -> None:
    spec = FeatureSpec.infer(TRAINING, ["penalties_12m", "capital", "industry_section"])
    scoring = pa.table({"penalties_12m": [1, 2, 3],
                        "capital": pa.array([None, None, None], pa.float64()),
                        "industry_section": ["C", "Q", "Q"]})
    found = spec.input_warnings(scoring, "s.csv")
    assert [(w.column, w.kind) for w in found] == [("capital", "empty_column"),
                                                    ("industry_section", "unseen_categories")]
    assert "s.csv: column 'capital'" in str(found[0]) and "every one of the 3 rows" in str(found[0])
    assert "2 rows" in str(found[1]) and "'Q'" in str(found[1])
    assert spec.input_warnings(TRAINING) == []

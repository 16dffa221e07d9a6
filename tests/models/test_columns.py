"""A few rows held as Python values read exactly as their Arrow table does: every column
question, the model's matrix (errors included), the rules' judgement and the explanations."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.columns import SMALL_ROWS, ArrowColumns, PyColumns, columns_of
from models.feature_frame import FeatureSpec, FeatureTableError
from models.policy.judgement import judge
from models.policy.profiles import profile
from models.policy.rules import shipped_rules

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**60), 2**60),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
)
NUMBERS = st.one_of(st.none(), st.integers(0, 10**6), st.floats(0, 1e9), st.booleans())


def same(left: object, right: object) -> bool:
    left, right = np.asarray(left), np.asarray(right)
    if left.dtype.kind == "f":
        return left.shape == right.shape and bool(np.array_equal(left, right, equal_nan=True))
    return left.shape == right.shape and bool((left == right).all())


def arrow_of(columns: dict[str, list]) -> pa.Table | None:
    try:
        return pa.table({name: pa.array(values) for name, values in columns.items()})
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, ValueError):  # as rows_table
        return None


def answer(call: object) -> object:
    """What a column question answers: the value, or the kind of error."""
    try:
        return ("value", call())  # type: ignore[operator]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        return ("error", type(error).__name__)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 4).flatmap(lambda rows: st.dictionaries(
    st.sampled_from(["a", "b", "c"]), st.lists(SCALARS, min_size=rows, max_size=rows),
    min_size=1)))
def test_every_question_answered_as_arrow_does(columns: dict[str, list]) -> None:
    table = arrow_of(columns)
    rows = [{name: values[i] for name, values in columns.items()}
            for i in range(len(next(iter(columns.values()))))]
    small = PyColumns.of_dicts(rows)
    if small is None:  # a mix or an integer beyond ±2⁵³: it stays a table
        return
    assert table is not None, "PyColumns took values Arrow refuses"
    arrow = ArrowColumns(table)
    for name in columns:
        assert small.type_of(name) == arrow.type_of(name)
        assert same(small.valid(name), arrow.valid(name))
        assert small.values(name) == arrow.values(name) or any(
            isinstance(v, float) and math.isnan(v) for v in small.values(name))
        for question in ("numbers", "texts"):
            mine, theirs = (answer(lambda c=c, q=question, n=name: getattr(c, q)(n))
                            for c in (small, arrow))
            assert mine[0] == theirs[0]
            if mine[0] == "value":
                assert same(mine[1], theirs[1])


def test_too_many_rows_or_unusual_values_stay_arrow() -> None:
    assert PyColumns.of_dicts([{"a": 1}] * (SMALL_ROWS + 1)) is None
    assert PyColumns.of_dicts([{"a": 1}, {"a": "x"}]) is None
    assert PyColumns.of_dicts([{"a": [1, 2]}]) is None
    assert PyColumns.of_dicts([{"a": 2**60}]) is None
    small = pa.table({"a": pa.array([1.5], pa.float32()), "b": ["x"]})
    assert isinstance(columns_of(small), PyColumns)
    assert isinstance(columns_of(pa.table({"a": [dt.datetime(2025, 1, 1)]})), ArrowColumns)


SPEC = FeatureSpec(("penalties_12m", "registered_capital_wan", "enterprise_type", "x_text"),
                   {"enterprise_type": ("个体", "有限责任公司"), "x_text": ("1", "2")})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "penalties_12m": st.one_of(NUMBERS, st.just(-1), st.just(float("inf")), st.just("3")),
    "registered_capital_wan": NUMBERS,
    "enterprise_type": st.one_of(st.none(), st.sampled_from(["个体", "有限责任公司", "其他"])),
    "x_text": st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["1", "2", "9"])),
}), min_size=1, max_size=5))
def test_the_matrix_and_its_errors_equal_arrows(rows: list[dict]) -> None:
    small = PyColumns.of_dicts(rows)
    table = arrow_of({name: [row[name] for row in rows] for name in rows[0]})
    if small is None or table is None:
        return
    outcomes = []
    for data in (small, table):
        try:
            outcomes.append(("matrix", SPEC.matrix(data, "rows")))
        except FeatureTableError as error:
            outcomes.append(("error", str(error)))
    assert outcomes[0][0] == outcomes[1][0]
    if outcomes[0][0] == "matrix":
        assert same(outcomes[0][1], outcomes[1][1])
    else:
        assert outcomes[0][1] == outcomes[1][1]


@pytest.fixture(scope="module")
def rules():  # type: ignore[no-untyped-def]
    return shipped_rules()


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_the_judgement_equals_arrows(rules, data) -> None:  # type: ignore[no-untyped-def]
    from features.catalog import BY_NAME

    names = sorted(rules.features())
    count = data.draw(st.integers(1, 4))
    rows = []
    for _ in range(count):
        row = {}
        for name in names:
            entry = BY_NAME[name]
            if entry.is_categorical:
                row[name] = data.draw(st.one_of(st.none(), st.sampled_from(["A", "C26", "x"])))
            elif name == rules.fusion.grade_feature:
                row[name] = data.draw(st.one_of(st.none(), st.sampled_from([1, 2, 3, 4])))
            else:
                row[name] = data.draw(st.one_of(st.none(), st.integers(0, 5), st.floats(0, 5)))
        row["as_of"] = data.draw(st.dates(dt.date(2019, 1, 1), dt.date(2027, 1, 1)))
        rows.append(row)
    small = PyColumns.of_dicts(rows)
    table = arrow_of({name: [row[name] for row in rows] for name in rows[0]})
    assert small is not None and table is not None
    score = data.draw(st.lists(st.floats(0, 999.9), min_size=count, max_size=count))
    mine, theirs = (judge(score, t, rules, profile()) for t in (small, ArrowColumns(table)))
    for field in ("final_score", "final_level", "model_level", "fired", "points"):
        assert same(getattr(mine, field), getattr(theirs, field)), field

"""Feature snapshots: chunks cover every row once, and each row is found by its code."""

from __future__ import annotations

import itertools

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serving.results.feature_snapshots import by_code, chunks, row_of

CODES = st.lists(st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=18, max_size=18),
                 min_size=1, max_size=300, unique=True)


def table_of(codes: list[str]) -> pa.Table:
    return pa.table({"uscc": pa.array(codes, pa.string()),
                     "penalties_12m": pa.array(range(len(codes)), pa.int64()),
                     "category": pa.array([c[:2] for c in codes]),
                     "share": pa.array([None if i % 3 else i / 7 for i in range(len(codes))],
                                       pa.float64())})


@settings(max_examples=60, deadline=None)
@given(codes=CODES, rows=st.integers(1, 64))
def test_every_row_is_in_exactly_the_chunk_whose_range_covers_it(codes: list[str],
                                                                  rows: int) -> None:
    table = table_of(codes)
    made = list(chunks(by_code(table), rows=rows))
    assert sum(c.rows for c in made) == table.num_rows
    assert all(a.last_uscc < b.first_uscc for a, b in itertools.pairwise(made))
    expected = {r["uscc"]: r for r in table.to_pylist()}
    for chunk in made:
        for code in (c for c in codes if chunk.first_uscc <= c <= chunk.last_uscc):
            found = row_of(chunk.features, code)
            assert found.schema == table.schema
            assert found.to_pylist() == [expected[code]]


def test_a_chunk_without_the_code_gives_no_row() -> None:
    chunk = next(chunks(table_of(["91410100MA00000001", "91410100MA00000003"])))
    assert row_of(chunk.features, "91410100MA00000002").num_rows == 0


def test_a_table_in_order_is_kept_as_is_and_others_are_sorted() -> None:
    ordered = table_of(["A" * 18, "B" * 18])
    assert by_code(ordered) is ordered
    assert by_code(table_of(["B" * 18, "A" * 18]))["uscc"].to_pylist() == ["A" * 18, "B" * 18]


@pytest.mark.parametrize("codes, problem", [(["A" * 18, "A" * 18], "more than one row"),
                                            (["A" * 18, None], "without a uscc")])
def test_a_code_repeated_or_missing_is_refused(codes: list[str | None], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        by_code(pa.table({"uscc": pa.array(codes, pa.string())}))

"""Feature table files: pandas' index columns never become data columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from models.tables import read_table_file


def test_pandas_unnamed_index_is_dropped(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": [0, 1, 0]}).iloc[[2, 0]]
    frame.to_parquet(tmp_path / "t.parquet", index=True)  # holds __index_level_0__
    table = read_table_file(tmp_path / "t.parquet")
    assert table.column_names == ["a", "y"]
    assert table["a"].to_pylist() == [3.0, 1.0]


def test_pandas_named_index_stays_a_column(tmp_path: Path) -> None:
    frame = pd.DataFrame({"uscc": ["x1", "x2"], "a": [1.0, 2.0]}).set_index("uscc")
    frame.to_parquet(tmp_path / "t.parquet", index=True)
    assert read_table_file(tmp_path / "t.parquet").column_names == ["a", "uscc"]

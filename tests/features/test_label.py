"""Label windows (month ends, leap years), outcome parsing and the training-set builder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import polars as pl
import pytest

from features.engineering.pit import shift_months
from features.label import DEFAULT_OUTCOMES, Outcome, label_table, outcome_window, window_complete
from features.training_set import build_training_set, month_ends, snapshot_dates
from tests.features.engineering import handmade as h


@pytest.mark.parametrize(
    ("as_of", "end"),
    [
        (dt.date(2024, 6, 30), dt.date(2025, 6, 30)),
        (dt.date(2024, 2, 29), dt.date(2025, 2, 28)),  # leap day → end of February
        (dt.date(2023, 2, 28), dt.date(2024, 2, 29)),  # month end → month end in a leap year
        (dt.date(2024, 1, 31), dt.date(2025, 1, 31)),
        (dt.date(2024, 1, 15), dt.date(2025, 1, 15)),
    ],
)
def test_twelve_month_windows(as_of: dt.date, end: dt.date) -> None:
    assert outcome_window(as_of) == (as_of, end)


def test_month_shifts_keep_month_ends() -> None:
    assert shift_months(dt.date(2024, 2, 29), -1) == dt.date(2024, 1, 31)
    assert shift_months(dt.date(2024, 3, 31), -1) == dt.date(2024, 2, 29)
    assert shift_months(dt.date(2024, 1, 30), 1) == dt.date(2024, 2, 29)


def _labels(as_of: dt.date, occurred: list[str], **extra) -> dict[str, dt.date | None]:
    rows = [
        h.record(f"R{i}", f"U{i}", "administrative_penalty", day, day, **extra)
        for i, day in enumerate(occurred)
    ]
    schema = {"occurred_on": pl.Date, "collected_on": pl.Date, "revoked_on": pl.Date}
    frame = pl.DataFrame(rows).with_columns(
        pl.col(c).replace("", None).str.to_date() for c in schema
    )
    labels = label_table(ibis.memtable(frame.to_arrow()), as_of).to_polars()
    return dict(labels.iter_rows())


def test_window_edges_at_leap_year_month_end() -> None:
    labels = _labels(dt.date(2023, 2, 28),
                     ["2023-02-28", "2023-03-01", "2024-02-29", "2024-03-01"])
    assert set(labels) == {"U1", "U2"}  # (as_of, end]: excludes as_of, includes Feb 29


def test_revoked_outcomes_are_not_adverse() -> None:
    assert _labels(dt.date(2024, 6, 30), ["2024-08-01"], revoked_on="2024-09-01") == {}


def test_outcome_narrowed_to_a_value() -> None:
    rows = [h.record("S1", "U1", "spot_check", "2024-08-01", "2024-08-01",
                     outcome="no_problem"),
            h.record("S2", "U2", "spot_check", "2024-08-01", "2024-08-01",
                     outcome="problem_found")]
    frame = pl.DataFrame(rows).with_columns(
        pl.col(c).replace("", None).str.to_date()
        for c in ("occurred_on", "collected_on", "revoked_on")
    )
    labels = label_table(ibis.memtable(frame.to_arrow()), dt.date(2024, 6, 30),
                         (Outcome.parse("spot_check:problem_found"),))
    assert labels.to_polars().get_column("uscc").to_list() == ["U2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [("parking", "expected a record type"), ("spot_check:ok", "expected one of no_problem")],
)
def test_bad_outcomes_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Outcome.parse(text)


def test_window_completeness_needs_collection_grace() -> None:
    assert window_complete(dt.date(2024, 6, 30), dt.date(2025, 7, 28))
    assert not window_complete(dt.date(2024, 6, 30), dt.date(2025, 7, 27))


def test_month_ends() -> None:
    assert month_ends(dt.date(2023, 12, 5), dt.date(2024, 3, 30)) == [
        dt.date(2023, 12, 31), dt.date(2024, 1, 31), dt.date(2024, 2, 29)]


def test_training_set_stacks_complete_snapshots(tmp_path: Path) -> None:
    future = [h.record("F1", h.E2, "administrative_penalty", "2025-06-30", "2025-07-02"),
              h.record("F2", h.E3, "administrative_penalty", "2025-07-01", "2025-08-30")]
    store = h.build_store(tmp_path, extra_records=future)
    dates = snapshot_dates(store, dt.date(2024, 5, 1))
    # Data reach 2025-08-30: windows ending by 2025-08-02 (grace 28 days) are complete.
    assert dates == [dt.date(2024, 5, 31), dt.date(2024, 6, 30), dt.date(2024, 7, 31)]
    out = tmp_path / "training.parquet"
    snapshots = build_training_set(store, out, dates, DEFAULT_OUTCOMES)
    table = pl.read_parquet(out)
    assert table.height == sum(s.rows for s in snapshots)
    june = table.filter(pl.col("as_of") == dt.date(2024, 6, 30))
    adverse = dict(june.select("uscc", "adverse").iter_rows())
    assert adverse[h.E2] == 1  # F1 on the window's last day
    assert adverse[h.E3] == 0  # F2 one day after it
    assert snapshots[1].adverse == int(june.get_column("adverse").sum())
    assert not list(tmp_path.glob("*.partial"))


def test_a_feature_table_is_labelled_from_the_label_rows(tmp_path: Path) -> None:
    import pyarrow as pa

    from features.engines import duckdb_backend, feature_table, load_tables
    from features.label import labelled

    future = [h.record("F1", h.E2, "administrative_penalty", "2025-06-30", "2025-07-02")]
    backend = duckdb_backend()
    tables = load_tables(backend, h.build_store(tmp_path, extra_records=future))
    labels = label_table(tables["records"], h.AS_OF).to_pyarrow()
    features = feature_table(backend, tables, h.AS_OF)
    table = labelled(features, labels)
    assert table.schema.names == [*features.schema.names, "adverse", "first_adverse_on"]
    assert table.schema.field("adverse").type == pa.int8()
    assert table.schema.field("first_adverse_on").type == pa.date32()
    first = dict(zip(labels["uscc"].to_pylist(), labels["first_adverse_on"].to_pylist(),
                     strict=True))
    rows = table.select(["uscc", "adverse", "first_adverse_on"]).to_pylist()
    assert rows == [{"uscc": r["uscc"], "adverse": int(r["uscc"] in first),
                     "first_adverse_on": first.get(r["uscc"])} for r in rows]
    assert first[h.E2] == dt.date(2025, 6, 30)
    assert 0 < table["adverse"].to_pylist().count(1) < table.num_rows

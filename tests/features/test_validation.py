"""Every rejection reason, with the message a user sees (field, expected, found)."""

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from features.validation import validate
from tests.features.conftest import TODAY, VALID_ROWS


def _check(table: str, **changes: str | None):
    row = {**VALID_ROWS[table], **changes}
    return validate(table, pl.DataFrame([row], schema=dict.fromkeys(row, pl.Utf8)), today=TODAY)


@pytest.mark.parametrize("table", list(VALID_ROWS))
def test_valid_rows_are_accepted_and_typed(table: str) -> None:
    checked = _check(table)
    assert checked.rejects.height == 0
    assert checked.accepted.height == 1


def test_types_are_parsed() -> None:
    row = _check("enterprises").accepted.row(0, named=True)
    assert row["registered_capital"] == 100.0
    assert str(row["established_on"]) == "2015-03-01"
    assert row["deregistered_on"] is None
    assert row["domain_tags"] == ["food", "drug"]


CASES = [
    # table, changes, field, expected (substring), found
    ("enterprises", {"uscc": "91350200776049653B"}, "uscc",
     "a GB 32100 code: check character 'A', found 'B'", "91350200776049653B"),
    ("enterprises", {"uscc": "9135020077604965"}, "uscc",
     "a GB 32100 code: 18 characters, found 16", "9135020077604965"),
    ("enterprises", {"name": "  "}, "name", "a value (required)", "  "),
    ("enterprises", {"region_code": "999999"}, "region_code", "a GB/T 2260 division code",
     "999999"),
    ("enterprises", {"industry_code": "C70"}, "industry_code",
     "a division of section C (13-43)", "C70"),
    ("enterprises", {"enterprise_type": "llc"}, "enterprise_type", "one of limited_liability",
     "llc"),
    ("enterprises", {"registered_capital": "-5"}, "registered_capital", "a number from 0", "-5"),
    ("enterprises", {"registered_capital": "lots"}, "registered_capital", "a number", "lots"),
    ("enterprises", {"established_on": "2023-02-30"}, "established_on", "a date YYYY-MM-DD",
     "2023-02-30"),
    ("enterprises", {"established_on": "2030-01-01"}, "established_on",
     "a date between 1900-01-01 and today (2026-11-22)", "2030-01-01"),
    ("enterprises", {"status": "closed"}, "status", "one of operating, revoked, deregistered",
     "closed"),
    ("enterprises", {"status": "deregistered"}, "deregistered_on",
     "a date when status is revoked or deregistered, empty when operating",
     " (status=deregistered)"),
    ("enterprises", {"status": "deregistered", "deregistered_on": "2010-01-01"},
     "deregistered_on", "on or after established_on", "2010-01-01 (established_on=2015-03-01)"),
    ("enterprises", {"domain_tags": "food;weapons"}, "domain_tags", "tags from food, drug",
     "food;weapons"),
    ("records", {"record_id": ""}, "record_id", "a value (required)", ""),
    ("records", {"record_type": "parking_ticket"}, "record_type", "one of administrative_penalty",
     "parking_ticket"),
    ("records", {"collected_on": "2024-06-30"}, "collected_on", "on or after occurred_on",
     "2024-06-30 (occurred_on=2024-07-01)"),
    ("records", {"severity": "7"}, "severity", "one of 1/2/3", "7"),
    ("records", {"severity": "2.5"}, "severity", "a whole number", "2.5"),
    ("records", {"amount": "-1"}, "amount", "a number from 0", "-1"),
    ("records", {"amount": "inf"}, "amount", "a number", "inf"),
    ("records", {"amount": "1e308"}, "amount", "a number from 0 to 10,000,000,000,000", "1e308"),
    ("enterprises", {"registered_capital": "2e9"}, "registered_capital",
     "a number from 0 to 1,000,000,000", "2e9"),
    ("records", {"occurred_on": "2024-7-1"}, "occurred_on", "a date YYYY-MM-DD", "2024-7-1"),
    ("records", {"severity": "1.5"}, "severity", "a whole number", "1.5"),
    ("records", {"outcome": "kept"}, "outcome", "the outcome list of its record_type",
     "kept (record_type=abnormal_operation)"),
    ("records", {"record_type": "spot_check", "removed_on": ""}, "outcome",
     "the outcome list of its record_type", " (record_type=spot_check)"),
    ("records", {"record_type": "spot_check", "outcome": "passed", "removed_on": ""}, "outcome",
     "the outcome list of its record_type", "passed (record_type=spot_check)"),
    ("records", {"record_type": "domain_risk_grade", "outcome": "B", "removed_on": ""},
     "domain", "a domain for this record_type", " (record_type=domain_risk_grade)"),
    ("records", {"domain": "weapons"}, "domain", "one of food, drug", "weapons"),
    ("records", {"record_type": "honour"}, "removed_on", "empty: only list entries",
     "2025-01-02 (record_type=honour)"),
    ("records", {"record_type": "honour", "removed_on": "", "repaired_on": "2025-01-01"},
     "repaired_on", "empty: only administrative_penalty", "2025-01-01 (record_type=honour)"),
    ("records", {"removed_on": "2024-01-01"}, "removed_on", "on or after occurred_on",
     "2024-01-01 (occurred_on=2024-07-01)"),
    ("records", {"revoked_on": "2020-01-01"}, "revoked_on", "on or after occurred_on",
     "2020-01-01 (occurred_on=2024-07-01)"),
    ("records", {"record_type": "licence", "outcome": "granted", "removed_on": ""},
     "licence_type", "a licence type for licence records", " (record_type=licence)"),
    ("records", {"record_type": "licence", "outcome": "granted", "removed_on": "",
                 "licence_type": "fishing"}, "licence_type", "one of food_business, "
     "food_production", "fishing"),
    ("records", {"licence_type": "food_business"}, "licence_type",
     "empty: only licence records carry a licence type",
     "food_business (record_type=abnormal_operation)"),
    ("relations", {"role": "owner"}, "role", "one of legal_representative", "owner"),
    ("relations", {"party_kind": "robot"}, "party_kind", "one of person, enterprise", "robot"),
    ("relations", {"party_id": "P123"}, "party_id",
     "a GB 32100 code other than uscc when party_kind is enterprise", "P123 (party_kind="),
    ("relations", {"role": "executive"}, "role", "shareholder when party_kind is enterprise",
     "executive (party_kind=enterprise)"),
    ("relations", {"share": "1.5"}, "share", "a fraction 0 < share ≤ 1", "1.5"),
    ("relations", {"ended_on": "2014-01-01"}, "ended_on", "on or after started_on",
     "2014-01-01 (started_on=2015-03-01)"),
    ("inspections", {"items": " ; "}, "items", "a value (required)", " ; "),
    ("inspections", {"result": "ok"}, "result", "one of no_problem", "ok"),
    ("inspections", {"inspected_on": "10/07/2024"}, "inspected_on", "a date YYYY-MM-DD",
     "10/07/2024"),
]


@pytest.mark.parametrize(("table", "changes", "field", "expected", "found"), CASES)
def test_each_rejection_reason(table, changes, field, expected, found) -> None:
    checked = _check(table, **changes)
    assert checked.accepted.height == 0
    problems = checked.rejects.filter(pl.col("field") == field).to_dicts()
    assert problems, f"no rejection on {field}: {checked.rejects.to_dicts()}"
    assert any(expected in p["expected"] and p["found"].startswith(found) for p in problems), (
        problems
    )
    assert all(p["row"] == 0 for p in checked.rejects.to_dicts())


def test_an_unparsable_cell_is_reported_once() -> None:
    checked = _check("records", occurred_on="yesterday")
    assert checked.rejects.select("field", "expected").rows() == [
        ("occurred_on", "a date YYYY-MM-DD")
    ]


def test_typed_parquet_like_columns_are_accepted() -> None:
    frame = pl.DataFrame([VALID_ROWS["enterprises"]]).with_columns(
        pl.col("established_on").str.to_date(),
        pl.col("registered_capital").cast(pl.Float64),
        pl.col("domain_tags").str.split(";"),
        pl.col("deregistered_on").replace("", None).str.to_date(),
    )
    checked = validate("enterprises", frame, today=TODAY)
    assert checked.rejects.height == 0


def test_json_array_lists_are_accepted() -> None:
    checked = _check("inspections", items='["food_safety", "licence_display"]')
    assert checked.accepted.get_column("items").to_list() == [["food_safety", "licence_display"]]


def test_good_rows_survive_beside_bad_ones() -> None:
    rows = [VALID_ROWS["records"], {**VALID_ROWS["records"], "record_id": "R2", "uscc": "X"}]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.Utf8))
    checked = validate("records", frame, today=TODAY)
    assert checked.accepted.get_column("record_id").to_list() == ["R1"]
    assert checked.rejects.get_column("row").unique().to_list() == [1]


@pytest.mark.parametrize("severity", ["1.0", " 3.0 ", "2"])
def test_whole_numbers_written_as_decimals_are_accepted(severity: str) -> None:
    checked = _check("records", record_type="administrative_penalty", removed_on="",
                     severity=severity)
    assert checked.rejects.height == 0
    assert checked.accepted.get_column("severity").to_list() == [int(float(severity))]


def test_pandas_float_integer_columns_are_accepted() -> None:
    rows = [{**VALID_ROWS["records"], "record_id": f"R{i}", "record_type": "administrative_penalty",
             "removed_on": ""} for i in range(3)]
    frame = pl.DataFrame(rows).with_columns(severity=pl.Series([1.0, None, 2.5]))
    checked = validate("records", frame, today=TODAY)
    assert checked.accepted.get_column("severity").to_list() == [1, None]
    assert checked.rejects.select("row", "field", "found").rows() == [(2, "severity", "2.5")]


def test_amounts_up_to_the_plausible_maximum_are_accepted() -> None:
    checked = _check("records", amount="1e13")
    assert checked.accepted.get_column("amount").to_list() == [1e13]


def test_a_licence_record_names_its_licence_type() -> None:
    licence = {"record_type": "licence", "outcome": "granted", "removed_on": "",
               "licence_type": "food_business"}
    row = _check("records", **licence).accepted.row(0, named=True)
    assert row["licence_type"] == "food_business"


def test_a_file_without_the_licence_type_column_keeps_its_licence_records() -> None:
    """An export older than the column: its licences are taken, with no licence type (they
    then match no catalogue item that asks for one); a type is required only of files that
    have the column."""
    row = {**VALID_ROWS["records"], "record_type": "licence", "outcome": "granted",
           "removed_on": ""}
    del row["licence_type"]
    checked = validate("records", pl.DataFrame([row], schema=dict.fromkeys(row, pl.Utf8)),
                       today=TODAY)
    assert checked.rejects.height == 0
    assert checked.accepted.row(0, named=True)["licence_type"] is None
    other = {**row, "record_type": "honour", "outcome": "", "licence_type": "food_business"}
    refused = validate("records", pl.DataFrame([other], schema=dict.fromkeys(other, pl.Utf8)),
                       today=TODAY)
    assert refused.rejects.get_column("field").to_list() == ["licence_type"]


@given(st.lists(st.sampled_from(["91410100MA44C3XK1B", "91410100MA44C3XK1C", "914101",
                                 "91410100ma44c3xk1b", "", None]) | st.text(max_size=19),
                max_size=60))
def test_codes_checked_once_each_read_as_each_row_checked(codes: list[str | None]) -> None:
    """The check by distinct code gives every row what checking the row itself gives (a
    missing code is not valid)."""
    from features.reference.uscc import check_codes, compose
    from features.validation import _uscc_valid

    codes = [*codes, *compose("9", "1", "410100", np.array(["MA44C3XK", "0000000X"]))]
    frame = pl.DataFrame({"code": codes}, schema={"code": pl.Utf8})
    found = frame.select(_uscc_valid(pl.col("code"))).to_series().to_list()
    assert found == [bool(v) for v in check_codes(frame["code"].to_arrow())]
    assert found[-2:] == [True, True]


@given(st.lists(st.none() | st.floats(allow_nan=True, allow_infinity=True, width=64)
                | st.sampled_from([1.0, -3.0, 1.5, 70000.0, 0.0]), max_size=40),
       st.sampled_from(["DECIMAL", "INTEGER"]))
def test_numbers_read_as_values_parse_as_their_text_would(values: list[float | None],
                                                           kind_name: str) -> None:
    """A numeric column is parsed from its values, not from its text; both agree on every
    value and on which cells are unparsable."""
    from features.contract import Kind
    from features.validation import _parse_column

    kind = Kind[kind_name]
    series = pl.Series("n", values, dtype=pl.Float64)
    value, unparsable = _parse_column(series, kind)
    from_text, unparsable_text = _parse_column(series.cast(pl.Utf8), kind)
    assert value.to_list() == from_text.to_list()
    assert unparsable.to_list() == unparsable_text.to_list()
    ints = pl.Series("n", [None if v is None or v != v or abs(v) > 2**40 else int(v)
                           for v in values], dtype=pl.Int64)
    assert _parse_column(ints, kind)[0].to_list() == _parse_column(ints.cast(pl.Utf8),
                                                                   kind)[0].to_list()


@given(st.lists(st.none() | st.dates(min_value=dt.date(1000, 1, 1)), max_size=30))
def test_dates_read_as_values_parse_as_their_text_would(values: list[dt.date | None]) -> None:
    from features.contract import Kind
    from features.validation import _parse_column

    series = pl.Series("d", values, dtype=pl.Date)
    value, unparsable = _parse_column(series, Kind.DATE)
    from_text, unparsable_text = _parse_column(series.cast(pl.Utf8), Kind.DATE)
    assert value.to_list() == from_text.to_list() == values
    assert not unparsable.any() and not unparsable_text.any()

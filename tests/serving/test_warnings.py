"""Early warnings fire on worsened classes and new monitored records, and not otherwise."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from features.store import Store
from serving.monthly.early_warning import build_warnings, level_triggers, record_triggers

PERIOD = dt.date(2025, 12, 31)


def levels(**by_uscc: str) -> pa.Table:
    return pa.table({"uscc": list(by_uscc), "risk_level": list(by_uscc.values())})


@pytest.mark.parametrize(("before", "after", "expected"), [
    ("A", "B", [("class_A_to_B", 1)]),
    ("B", "C", [("class_B_to_C", 2)]),
    ("A", "C", [("class_A_to_C", 3)]),
    ("C", "D", [("class_C_to_D", 4)]),
    ("B", "B", []), ("D", "A", []), (None, "D", []),
])
def test_level_triggers(before: str | None, after: str, expected: list) -> None:
    assert level_triggers(before, after) == expected


def test_warnings_fire_and_do_not_fire() -> None:
    previous = levels(E1="A", E2="B", E3="C", E4="B", E5="A")
    current = levels(E1="B", E2="B", E3="B", E4="D", E5="A", E6="C")
    triggers = {"E2": ["penalty"], "E5": ["abnormal_listing", "failed_spot_check"],
                "E6": ["dishonest_debtor_entry"]}
    found = {w.uscc: w for w in build_warnings(current, previous, triggers, PERIOD)}
    assert set(found) == {"E1", "E2", "E4", "E5", "E6"}  # E3 improved, no records: silent
    assert (found["E1"].severity, found["E1"].action) == (1, "提醒")
    assert found["E2"].severity == 2 and found["E2"].triggers == ("penalty",)
    assert found["E4"].severity == 4 and found["E4"].action_en == "inspect"
    assert found["E5"].severity == 3 and found["E5"].triggers == ("abnormal_listing",
                                                                  "failed_spot_check")
    assert found["E6"].previous_level is None and found["E6"].severity == 4
    ordered = build_warnings(current, previous, triggers, PERIOD)
    assert [w.severity for w in ordered] == sorted((w.severity for w in ordered), reverse=True)


def test_record_triggers_read_the_window_from_the_store(synthetic_store: Store) -> None:
    since, until = dt.date(2025, 10, 31), dt.date(2025, 12, 31)
    found = record_triggers(synthetic_store, since, until)
    records = pq.read_table(synthetic_store.table_path("records"))
    window = records.filter(pc.and_(pc.greater(records["collected_on"], since),
                                    pc.less_equal(records["collected_on"], until)))
    debtors = set(window.filter(pc.equal(window["record_type"], "dishonest_debtor"))[
        "uscc"].to_pylist())
    revoked = set(window.filter(pc.is_valid(window["revoked_on"]))["uscc"].to_pylist())
    assert debtors and {u for u in debtors - revoked} <= {
        u for u, t in found.items() if "dishonest_debtor_entry" in t}
    outside = set(records.filter(pc.less_equal(records["collected_on"], since))[
        "uscc"].to_pylist()) - set(window["uscc"].to_pylist())
    assert not outside & set(found)
    assert set(found) == set(window["uscc"].to_pylist())  # every touched enterprise

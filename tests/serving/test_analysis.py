"""Month-over-month analysis and regional aggregates on hand-made periods."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from serving.monthly.analysis import analyse, migration_matrix
from serving.monthly.regional import region_risk


def period(rows: list[tuple[str, str, float, str, str | None, str]]) -> pa.Table:
    uscc, level, score, prefecture, county, section = zip(*rows, strict=True)
    return pa.table({"uscc": uscc, "risk_level": level, "final_score": score,
                     "prefecture": prefecture, "county": pa.array(county, pa.string()),
                     "industry_section": section})


PREVIOUS = period([("E1", "A", 100.0, "410100", "410102", "F"),
                   ("E2", "B", 300.0, "410100", None, "F"),
                   ("E3", "C", 600.0, "410200", "410203", "C"),
                   ("E4", "D", 800.0, "410200", "410203", "C")])
CURRENT = period([("E1", "B", 250.0, "410100", "410102", "F"),
                  ("E2", "B", 320.0, "410100", None, "F"),
                  ("E3", "A", 150.0, "410200", "410203", "C"),
                  ("E5", "D", 900.0, "410300", "410305", "H")])


def test_migration_matrix_on_a_hand_made_case() -> None:
    matrix = migration_matrix(PREVIOUS, CURRENT)
    assert matrix["A"] == {"A": 0, "B": 1, "C": 0, "D": 0, "gone": 0}
    assert matrix["B"]["B"] == 1 and matrix["C"]["A"] == 1
    assert matrix["D"]["gone"] == 1 and matrix["new"]["D"] == 1
    assert sum(sum(row.values()) for row in matrix.values()) == 5


def test_analysis_counts_rises_and_falls() -> None:
    result = analyse(CURRENT, PREVIOUS, {}, dt.date(2025, 11, 30))
    assert result.class_rose == 1 and result.class_fell == 1
    assert result.class_shares == {"A": 0.25, "B": 0.5, "C": 0.0, "D": 0.25}
    assert result.score_psi is not None and result.score_psi > 0
    alone = analyse(CURRENT, None, {}, dt.date(2025, 11, 30))
    assert alone.previous_enterprises == 0 and "migration" not in alone.to_json()


def test_region_risk_by_prefecture_county_and_industry() -> None:
    rows = {(r.level, r.region, r.industry_section): r
            for r in region_risk(CURRENT, PREVIOUS, dt.date(2025, 12, 31))}
    assert rows[("prefecture", "410100", "F")].enterprises == 2
    assert rows[("prefecture", "410100", "F")].mean_score_change == pytest.approx(85.0)
    assert rows[("prefecture", "410200", "C")].share_c_or_d == 0.0
    assert rows[("prefecture", "410200", "C")].share_c_or_d_change == pytest.approx(-1.0)
    assert rows[("prefecture", "410300", "H")].share_c_or_d == 1.0
    assert rows[("prefecture", "410300", "H")].mean_score_change is None
    assert rows[("prefecture", "410300", "H")].share_c_or_d_change is None
    # an enterprise registered at the prefecture's bureau (no county) counts at prefecture
    # level only
    assert rows[("county", "410102", "F")].enterprises == 1
    assert rows[("county", "410102", "F")].mean_score_change == pytest.approx(150.0)
    assert {k[1] for k in rows if k[0] == "county"} == {"410102", "410203", "410305"}
    assert not any(r.high_risk for r in rows.values())  # every cell under MIN_CELL

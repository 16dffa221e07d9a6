"""Month-over-month analysis and regional aggregates on hand-made periods."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from serving.monthly.analysis import analyse, migration_matrix
from serving.monthly.regional import (
    MIN_CELL,
    SHARE_RATIO,
    SHARE_RISE,
    is_high_risk,
    region_risk,
)
from serving.results.rows import RegionRisk


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


def cells(current: list[tuple[int, int]], previous: list[tuple[int, int]] | None,
          filler: int = 0) -> dict[str, RegionRisk]:
    """County cells of industry F from (enterprises, of them in C or D) per county, plus
    ``filler`` class-A enterprises in a county of their own, to set the period's share."""
    def table(spec: list[tuple[int, int]], extra: int) -> pa.Table:
        rows = []
        for n, (enterprises, bad) in enumerate(spec):
            rows += [(f"E{n}-{i}", "D" if i < bad else "A", 500.0, "410100", f"4101{n + 2:02d}",
                      "F") for i in range(enterprises)]
        rows += [(f"X{i}", "A", 100.0, "410100", "410199", "F") for i in range(extra)]
        return period(rows)
    found = region_risk(table(current, filler),
                        None if previous is None else table(previous, filler),
                        dt.date(2025, 12, 31))
    return {r.region: r for r in found if r.level == "county"}


def test_high_risk_needs_min_cell_enterprises() -> None:
    # 12 C/D of 30 (0.4) against a period share of 24 / (30 + 29 + 100) (0.15): above twice
    at_bound = cells([(MIN_CELL, 12), (MIN_CELL - 1, 12)], None, filler=100)
    assert at_bound["410102"].high_risk is True
    assert at_bound["410103"].high_risk is False  # as concentrated, one enterprise fewer


def test_high_risk_at_exactly_twice_the_period_share() -> None:
    # cell 8/40 = 0.2; period 8/80 = 0.1: exactly twice is high-risk
    exactly = cells([(40, 8)], None, filler=40)["410102"]
    assert exactly.share_c_or_d == pytest.approx(2 * 0.1) and exactly.high_risk is True
    # 8/40 against 8/79: just under twice
    below = cells([(40, 8)], None, filler=39)["410102"]
    assert below.high_risk is False


def test_high_risk_at_a_rise_of_exactly_five_points() -> None:
    # 4/40 → 6/40 is +5 points (0.15 - 0.1 is 0.04999… in floating point); a second county
    # at 30/200 keeps the period share (36/240 = 0.15) too high for the other arm
    rise = cells([(40, 6), (200, 30)], [(40, 4), (200, 30)])["410102"]
    assert rise.share_c_or_d_change == pytest.approx(SHARE_RISE) and rise.high_risk is True
    under = cells([(50, 7), (200, 30)], [(50, 5), (200, 30)])["410102"]  # +4 points
    assert under.share_c_or_d_change == pytest.approx(0.04) and under.high_risk is False


def test_the_high_risk_rule_at_its_bounds() -> None:
    assert is_high_risk(MIN_CELL, 0.2, 0.1, None)
    assert not is_high_risk(MIN_CELL - 1, 0.2, 0.1, 0.5)
    assert not is_high_risk(MIN_CELL, 0.19, 0.1, None)
    assert is_high_risk(MIN_CELL, 0.11, 0.1, SHARE_RISE)
    assert not is_high_risk(MIN_CELL, 0.11, 0.1, 0.0499)
    assert not is_high_risk(MIN_CELL, 0.0, 0.0, None)  # no C or D at all is never high-risk
    assert SHARE_RATIO == 2.0 and SHARE_RISE == 0.05

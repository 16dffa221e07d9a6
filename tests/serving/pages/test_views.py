"""The pages' view models: the waterfall adds up step by step to the final score, the gauge
and history carry the profile's bands, the history marks model changes and inspections, the
heat map places every cell once."""

from __future__ import annotations

import datetime as dt

import pytest

from features.catalog import BY_NAME
from models.explain.explanation import Explanation, Line
from models.policy.profiles import profile
from serving.pages import views
from serving.results.rows import HistoryEntry, RegionRisk, ResultRow
from serving.use_cases import EnterpriseRecord
from serving.use_cases.overview import ClassShares

HENAN = profile("henan")


def explanation(features: int = 20) -> Explanation:
    named = ["penalties_3m", "penalties_12m", "penalties_36m"]
    lines = [Line("feature", named[i] if i < 3 else f"f{i}", "值", "value",
                  points=(-1) ** i * (30 - i) * 1.25) for i in range(features)]
    model = 250.5 + sum(line.points for line in lines)
    rules = [Line("rule", "abnormal_operation_list", "至少 C 类", "floor C", 520 - model,
                  reason_zh="列入经营异常名录", reason_en="on the abnormal-operation list")]
    return Explanation("91410100MA00000001", dt.date(2025, 12, 31), 250.5, lines, rules,
                       model, 520.0, "C", "C", HENAN, "r1")


@pytest.mark.parametrize("top", [3, 12, 40])
def test_the_waterfall_adds_up_to_the_final_score(top: int) -> None:
    flow = views.waterfall(explanation(), "zh", {"abnormal_operation_list": "《条例》"}, top)
    kinds = [s.kind for s in flow.steps]
    assert kinds[0] == "base" and kinds[-1] == "final" and "model" in kinds
    assert kinds.count("feature") == min(top, 20)
    assert ("others" in kinds) == (top < 20)
    model_at = kinds.index("model")
    for before, step in zip(flow.steps, flow.steps[1:], strict=False):
        if step.kind not in ("model", "final"):
            assert step.start == pytest.approx(before.end)
            assert step.end - step.start == pytest.approx(step.points)
    body = flow.steps[1:model_at]
    assert 250.5 + sum(s.points for s in body) == pytest.approx(flow.steps[model_at].end)
    rules = flow.steps[model_at + 1:-1]
    assert flow.steps[model_at].end + sum(s.points for s in rules) == pytest.approx(520.0)
    assert rules[0].value == "列入经营异常名录" and rules[0].basis == "《条例》"
    chart = flow.chart()
    assert len(chart["labels"]) == len(chart["bars"]) == len(chart["helper"]) == len(kinds)
    assert chart["bars"][-1]["value"] == 520.0 and chart["helper"][-1] == 0


def test_the_waterfall_speaks_the_language_asked() -> None:
    zh = views.waterfall(explanation(), "zh")
    en = views.waterfall(explanation(), "en")
    assert zh.steps[0].label == "基础分" and en.steps[0].label == "Base points"
    assert zh.steps[1].label == BY_NAME["penalties_3m"].zh
    assert en.steps[1].label == BY_NAME["penalties_3m"].en
    assert zh.steps[4].label == "f3"  # not in the catalog: its column name
    assert en.steps[-2].value == "on the abnormal-operation list"


def test_gauge_and_bands_follow_the_profile() -> None:
    bands = views.bands(HENAN, "zh")
    assert [b.level for b in bands] == list("ABCD")
    assert [b.low for b in bands][1:] == list(HENAN.cut_points)
    gauge = views.gauge(HENAN, 612.345, "en")
    assert gauge["score"] == 612.35 and gauge["max"] == 1000
    assert gauge["bands"][-1]["to"] == 1 and gauge["cuts"] == list(HENAN.cut_points)
    assert [b["colour"] for b in gauge["bands"]] == [s.colour for s in HENAN.levels]


def _entry(period: dt.date, score: float, level: str, version: str) -> HistoryEntry:
    row = ResultRow("91410100MA00000001", period, score, score, level, level, level, (),
                    300.0, (), (), "410100", "410102", "C", "C13", (), "0" * 32, version, "r1")
    return HistoryEntry(row, "henan", "sha256:x")


def test_history_marks_model_changes_and_inspections() -> None:
    periods = [dt.date(2025, m, 28) for m in (9, 10, 11, 12)]
    entries = [_entry(p, 150.0 + 200 * i, "ABCD"[i], "m/1" if i < 2 else "m/2")
               for i, p in enumerate(periods)]
    record = EnterpriseRecord(entries[-1], entries)
    inspected = (dt.date(2025, 10, 3), dt.date(2025, 12, 1))
    shown = views.history(record, HENAN, inspected, "zh")
    assert [r.model_changed for r in shown.rows] == [False, False, True, False]
    assert [r.inspected for r in shown.rows] == [False, True, False, True]
    assert shown.chart["model_changes"] == [{"period": "2025-11-28", "version": "m/2"}]
    assert shown.chart["inspections"] == ["2025-10-28", "2025-12-28"]
    assert shown.chart["scores"] == [150.0, 350.0, 550.0, 750.0]
    assert [r.colour for r in shown.rows] == [s.colour for s in HENAN.levels]


def test_the_heat_map_places_every_cell_once() -> None:
    cells = [RegionRisk(dt.date(2025, 12, 31), "prefecture", region, section, 10, share,
                        400.0, 0.1, 1.0, share > 0.3)
             for region, section, share in [("410100", "C", 0.5), ("410100", "F", 0.1),
                                            ("410300", "C", 0.2)]]
    heat = views.heat_map(cells, "zh")
    assert [code for code, _ in heat.regions] == ["410100", "410300"]
    assert heat.regions[0][1] == "郑州市"
    assert [code for code, _ in heat.industries] == ["C", "F"]
    chart = heat.chart("/pages/cells?region={region}&industry={industry}")
    assert chart["cells"] == [[0, 0, 50.0, 10.0, 10], [1, 0, 10.0, 10.0, 10],
                              [0, 1, 20.0, 10.0, 10]]
    assert chart["links"][2] == "/pages/cells?region=410300&industry=C"
    assert chart["max"] == 50.0
    assert views.heat_map([], "en").chart("x")["cells"] == []


def test_share_rows_carry_counts_shares_and_change() -> None:
    shares = ClassShares(dt.date(2025, 12, 31), {"A": 5, "B": 3, "C": 1, "D": 1},
                         dt.date(2025, 11, 30), {"A": 4, "B": 4, "C": 2, "D": 0})
    rows = views.share_rows(shares, HENAN, "en")
    assert [r.count for r in rows] == [5, 3, 1, 1]
    assert [r.share for r in rows] == pytest.approx([0.5, 0.3, 0.1, 0.1])
    assert [r.change for r in rows] == pytest.approx([0.1, -0.1, -0.1, 0.1])
    assert views.shares_chart(rows)["values"] == [50.0, 30.0, 10.0, 10.0]


def test_names_of_regions_and_industries() -> None:
    assert views.region_name("410100", "zh") == "郑州市"
    assert views.region_name("410100", "en") == "410100 郑州市"
    assert views.region_name("999999", "zh") == "999999"
    assert views.industry_name("C13", "en") == "C13 Manufacturing"
    assert views.industry_name("C", "zh") == "C 制造业"


def test_every_text_a_template_asks_for_exists_in_both_languages() -> None:
    import re

    from serving.pages.i18n import TEXT, translate
    from serving.pages.render import TEMPLATES

    asked = set()
    for template in TEMPLATES.glob("*.html"):
        asked |= set(re.findall(r"""\bt\(\s*["']([a-z_]+)["']\s*\)""", template.read_text()))
    assert asked and asked - set(TEXT) == set()
    statuses = {f"st_{s}" for s in ("open", "in_progress", "resolved", "dismissed")}
    assert statuses <= set(TEXT)  # asked for as "st_" ~ status
    results = {f"res_{r}" for r in ("pending", "no_problem", "problem_found", "not_located")}
    assert results | {"part_random", "part_key"} <= set(TEXT)
    assert all(zh and en and zh != en for zh, en in TEXT.values())
    assert translate("overview", "en") == "Overview" and translate("overview", "zh") == "总览"

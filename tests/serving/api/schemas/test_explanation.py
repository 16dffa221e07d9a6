"""An explanation as the API shows it: each feature line with its 中文名, its value in words and
the value the model read; with ``top``, the rest in one line, so the lines still add up."""

from __future__ import annotations

import datetime as dt

from models.explain.explanation import Explanation, Line
from models.explain.values import describe_value
from models.policy.profiles import profile
from serving.api.schemas.explanation import OTHERS, ExplanationPublic


def line(name: str, value: float | str | None, points: float) -> Line:
    zh, en = describe_value(name, value)
    return Line("feature", name, zh, en, points, "监管信息", value=value)


def explanation() -> Explanation:
    features = [line("penalties_12m", 2.0, 84.25), line("industry_section", "C", -12.5),
                line("days_since_penalty", None, 3.0), line("my_own_column", 7.0, 1.25)]
    rules = [Line("rule", "serious_dishonesty_list", "判定为 D 类", "force D", 300.0,
                  reason_zh="列入严重失信主体名单", reason_en="on the list")]
    return Explanation(uscc="91410100MA44C3XK1B", as_of=dt.date(2025, 12, 31),
                       base_points=400.0, features=features, rules=rules, model_score=476.0,
                       final_score=776.0, risk_level="D", class_label="D", profile=profile(),
                       rules_version="r1", dimensions={"监管信息": 76.0})


def test_feature_lines_carry_name_words_and_value() -> None:
    shown = ExplanationPublic.of(explanation(), "ecr/3")
    penalties, section, missing, own = shown.features
    assert (penalties.name_zh, penalties.zh, penalties.value) == (
        "近12个月行政处罚次数", "近12个月行政处罚 2 次", 2.0)
    assert (section.value, section.zh) == ("C", "行业门类：C 制造业")
    assert missing.value is None and missing.zh.endswith("无记录")
    assert (own.name_zh, own.name_en, own.value) == ("my_own_column", "my_own_column", 7.0)
    total = shown.base_points + sum(f.points for f in shown.features) + sum(
        r.points for r in shown.rules)
    assert total == shown.final_score


def test_top_sums_the_rest_in_one_line() -> None:
    shown = ExplanationPublic.of(explanation(), "ecr/3", top=1)
    assert [f.feature for f in shown.features] == ["penalties_12m", OTHERS]
    assert shown.features[1].points == -12.5 + 3.0 + 1.25
    assert shown.features[1].name_zh == "其余 3 项指标"

"""Feature values read in human terms, one case per catalog unit."""

from __future__ import annotations

import pytest

from features.catalog import CATALOG, Unit
from models.explain.values import describe_value


@pytest.mark.parametrize(("name", "value", "zh", "en"), [
    ("penalties_12m", 3, "近12个月行政处罚 3 次",
     "3 administrative penalties in the last 12 months"),
    ("persons_linked", 4, "关联自然人 4 个", "4 persons linked"),
    ("abnormal_listed_now", 1, "当前列入经营异常名录：是", "on the abnormal-operation list: yes"),
    ("serious_dishonesty_now", 0, "当前列入严重违法失信名单：否",
     "on the serious-dishonesty list: no"),
    ("penalty_amount_12m", 35000.0, "近12个月行政处罚金额 3.50万元",
     "fines in the last 12 months: CNY 35,000"),
    ("penalty_amount_12m", 800.0, "近12个月行政处罚金额 800元",
     "fines in the last 12 months: CNY 800"),
    ("registered_capital", 500.0, "注册资本 500万元", "registered capital: CNY 5,000,000"),
    ("days_since_penalty", 45, "距最近一次行政处罚 45 天", "45 days since the last penalty"),
    ("max_collection_delay_36m", 12, "近36个月最长归集延迟 12 个工作日",
     "longest collection delay in the last 36 months: 12 working days"),
    ("age_years", 3.24, "成立年限 3.2 年", "3.2 years since establishment"),
    ("related_listed_share", 0.25, "关联企业列入名录比例 25%",
     "share of related enterprises listed: 25%"),
    ("domain_risk_grade", 3, "专业领域风险等级 C", "domain risk grade: C"),
    ("industry_section", "F", "行业门类：F 批发和零售业",
     "industry section: F Wholesale and retail trade"),
    ("industry_division", "C26", "行业大类：C26（制造业）",
     "industry division: C26 (Manufacturing)"),
    ("prefecture", "410100", "所属地市：郑州市（410100）", "prefecture: 410100 郑州市"),
    ("enterprise_type", "limited", "企业类型：limited", "enterprise type: limited"),
    ("days_since_penalty", None, "距最近一次行政处罚天数：无记录",
     "days since the last penalty: none on record"),
    ("days_since_penalty", float("nan"), "距最近一次行政处罚天数：无记录",
     "days since the last penalty: none on record"),
    ("ev_spot_check__problem_found_decayed", 1.5, "抽查检查（problem_found）近期加权次数 1.50",
     "spot-check result (problem_found), decayed count (half-life 365 days): 1.50"),
    ("ev_complaint_12m", 2, "近12个月投诉举报 2 次",
     "2 complaint or report (12315) in the last 12 months"),
    ("related_adverse_rate_12m", 0.5, "关联企业近12个月户均不良记录数 0.50",
     "adverse records per related enterprise in the last 12 months: 0.50"),
    ("my_column", 2.5, "my_column：2.5", "my_column: 2.5"),
])
def test_describe_value(name: str, value: object, zh: str, en: str) -> None:
    assert describe_value(name, value) == (zh, en)


def test_every_unit_is_covered() -> None:
    names = {case[0] for case in test_describe_value.pytestmark[0].args[1]}
    assert {f.unit for f in CATALOG if f.name in names} == set(Unit)

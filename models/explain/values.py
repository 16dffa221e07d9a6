"""An enterprise's feature value in human terms, in 中文 and English, from the catalog unit.

    penalties_12m = 3
        → 近12个月行政处罚 3 次 / 3 administrative penalties in the last 12 months
    abnormal_listed_now = 1
        → 当前列入经营异常名录：是 / on the abnormal-operation list: yes
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import cast

from features.catalog import BY_NAME, Feature, Unit
from features.reference.divisions import division_names
from features.reference.industries import BY_LETTER

GRADES = {1: "A", 2: "B", 3: "C", 4: "D"}


@lru_cache(maxsize=1 << 16, typed=True)
def describe_value(name: str, value: object) -> tuple[str, str]:
    """(中文, English) for feature ``name`` at ``value``; bring-your-own columns keep their
    name. Remembered: most features take few values, and an explanation describes them all."""
    feature = BY_NAME.get(name)
    if feature is None:
        return f"{name}：{value}", f"{name}: {value}"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{feature.zh}：无记录", f"{feature.en}: none on record"
    if feature.unit is Unit.CATEGORY:
        zh_value, en_value = _category(name, str(value))
        return f"{feature.zh}：{zh_value}", f"{feature.en}: {en_value}"
    return _number(feature, float(cast(float, value)))


def _number(feature: Feature, value: float) -> tuple[str, str]:
    zh, en = feature.zh, feature.en
    match feature.unit:
        case Unit.COUNT:
            if zh.endswith("次数"):
                return f"{zh.removesuffix('次数')} {_n(value)} 次", f"{_n(value)} {en}"
            return f"{zh.removesuffix('数')} {_n(value)} 个", f"{_n(value)} {en}"
        case Unit.FLAG:
            yes = value >= 0.5
            return f"{zh}：{'是' if yes else '否'}", f"{en}: {'yes' if yes else 'no'}"
        case Unit.YUAN:
            return f"{zh} {_yuan_zh(value)}", f"{en}: CNY {value:,.0f}"
        case Unit.WAN_YUAN:
            return f"{zh} {_n(value)}万元", f"{en}: CNY {value * 1e4:,.0f}"
        case Unit.DAYS:
            return f"{zh.removesuffix('天数')} {_n(value)} 天", f"{_n(value)} {en}"
        case Unit.WORKING_DAYS:
            return f"{zh} {_n(value)} 个工作日", f"{en}: {_n(value)} working days"
        case Unit.YEARS:
            return f"{zh} {value:.1f} 年", f"{value:.1f} {en}"
        case Unit.SHARE:
            return f"{zh} {value:.0%}", f"{en}: {value:.0%}"
        case Unit.DECAYED | Unit.RATIO:
            return f"{zh} {value:,.2f}", f"{en}: {value:,.2f}"
        case Unit.GRADE:
            grade = GRADES.get(round(value), _n(value))
            return f"{zh} {grade}", f"{en}: {grade}"
    return f"{zh}：{_n(value)}", f"{en}: {_n(value)}"


def _category(name: str, value: str) -> tuple[str, str]:
    if name == "industry_section" and value in BY_LETTER:
        section = BY_LETTER[value]
        return f"{value} {section.zh}", f"{value} {section.en}"
    if name == "industry_division" and value[:1] in BY_LETTER:
        section = BY_LETTER[value[:1]]
        return f"{value}（{section.zh}）", f"{value} ({section.en})"
    if name == "prefecture":
        place = division_names().get(value)
        return (f"{place}（{value}）", f"{value} {place}") if place else (value, value)
    return value, value


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _yuan_zh(value: float) -> str:
    return f"{value / 1e4:,.2f}万元" if abs(value) >= 1e4 else f"{value:,.0f}元"

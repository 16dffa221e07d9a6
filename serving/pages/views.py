"""View models: the use cases' typed results arranged for a template and a chart, in one
language. Pure functions, no I/O; every chart's numbers come with the rows of its table twin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from features.catalog import BY_NAME, DIMENSION_NAMES
from features.reference.divisions import division_names
from features.reference.industries import BY_LETTER
from models.explain.explanation import Explanation, Line
from models.levels import LEVELS
from models.policy.profiles import Profile
from models.score_map import MAX_SCORE
from serving.pages.i18n import translate
from serving.use_cases import EnterpriseRecord
from serving.use_cases.overview import ClassShares

WATERFALL_FEATURES = 12
"""Feature lines shown one by one; the rest are summed in one line."""
UP, DOWN, TOTAL = "#b03a2e", "#1e7b4d", "#35506b"
"""Bar colours: points that raise the risk, that lower it, and subtotals (each bar also
says it in words)."""


@dataclass(frozen=True)
class Step:
    """One bar of the waterfall and one row of its table."""

    kind: str
    """``base``, ``feature``, ``others``, ``model``, ``rule``, ``fusion`` or ``final``."""
    label: str
    value: str
    """The feature's value in words, or the rule's reason."""
    points: float
    """The step's points (for subtotals: the total itself)."""
    start: float
    end: float
    basis: str = ""


@dataclass(frozen=True)
class Waterfall:
    steps: list[Step]
    base_points: float
    model_score: float
    final_score: float

    def chart(self) -> dict[str, Any]:
        """ECharts data: a transparent helper series under the visible bars."""
        total = {"base", "model", "final"}
        return {
            "labels": [s.label for s in self.steps],
            "helper": [0 if s.kind in total else round(min(s.start, s.end), 2)
                       for s in self.steps],
            "bars": [{"value": round(abs(s.end - s.start) if s.kind not in total else s.end,
                                     2),
                      "colour": TOTAL if s.kind in total else (UP if s.points > 0 else DOWN),
                      "points": round(s.points, 2)} for s in self.steps],
        }


def _line_text(line: Line, language: str) -> tuple[str, str]:
    if line.kind == "feature":
        return (line.zh if language == "zh" else line.en, "")
    reason = line.reason_zh if language == "zh" else line.reason_en
    return (line.zh if language == "zh" else line.en, reason)


def waterfall(explanation: Explanation, language: str, bases: dict[str, str] | None = None,
              top: int = WATERFALL_FEATURES) -> Waterfall:
    """Base points, the ``top`` largest feature lines (their 中文名/English name and value
    in words), the rest summed, the model score, each rule line with its reason and the
    basis ``bases`` gives it, and the final score."""
    steps = [Step("base", translate("base_points", language), "", explanation.base_points,
                  0.0, explanation.base_points)]
    running = explanation.base_points
    for line in explanation.features[:top]:
        entry = BY_NAME.get(line.key)
        zh, en = (entry.zh, entry.en) if entry else (line.key, line.key)
        value = _line_text(line, language)[0]
        steps.append(Step("feature", zh if language == "zh" else en, value, line.points,
                          running, running + line.points))
        running += line.points
    rest = explanation.features[top:]
    if rest:
        points = sum(line.points for line in rest)
        steps.append(Step("others", translate("other_features", language),
                          f"{len(rest)}", points, running, running + points))
        running += points
    steps.append(Step("model", translate("model_score", language), "",
                      explanation.model_score, 0.0, explanation.model_score))
    running = explanation.model_score
    for line in explanation.rules:
        label, reason = _line_text(line, language)
        steps.append(Step(line.kind, f"{translate('rule', language)} {line.key}: {label}",
                          reason, line.points, running, running + line.points,
                          (bases or {}).get(line.key, "")))
        running += line.points
    steps.append(Step("final", translate("final_score", language), "",
                      explanation.final_score, 0.0, explanation.final_score))
    return Waterfall(steps, explanation.base_points, explanation.model_score,
                     explanation.final_score)


@dataclass(frozen=True)
class Band:
    level: str
    label: str
    name: str
    colour: str
    low: float
    high: float


def bands(profile: Profile, language: str) -> list[Band]:
    """The profile's classes as score bands, lowest risk first."""
    found = []
    for index, style in enumerate(profile.levels):
        low, high = profile.band(index)
        found.append(Band(LEVELS[index], style.label, style.zh if language == "zh"
                          else style.en, style.colour, low, high))
    return found


def gauge(profile: Profile, score: float, language: str) -> dict[str, Any]:
    """ECharts data of the 0–1000 gauge: the score and the bands at the cut points."""
    return {"score": round(score, 2), "max": MAX_SCORE,
            "bands": [{"to": round(b.high / MAX_SCORE, 4), "colour": b.colour,
                       "label": f"{b.label} {b.name}"} for b in bands(profile, language)],
            "cuts": list(profile.cut_points)}


@dataclass(frozen=True)
class HistoryRow:
    period: dt.date
    final_score: float
    risk_level: str
    class_label: str
    colour: str
    model_version: str
    model_changed: bool
    inspected: bool


@dataclass(frozen=True)
class History:
    rows: list[HistoryRow]
    chart: dict[str, Any] = field(default_factory=dict)


def history(record: EnterpriseRecord, profile: Profile, inspections: tuple[dt.date, ...],
            language: str) -> History:
    """The enterprise's score and class per published period, oldest first, with the periods
    where the model version changed and those in which it was inspected."""
    rows = []
    previous_version = None
    for entry in record.history:
        result = entry.result
        since = rows[-1].period if rows else dt.date.min
        level = LEVELS.index(result.risk_level)
        rows.append(HistoryRow(
            result.period, result.final_score, result.risk_level, result.class_label,
            profile.levels[level].colour, result.model_version,
            previous_version is not None and result.model_version != previous_version,
            any(since < day <= result.period for day in inspections)))
        previous_version = result.model_version
    chart = {
        "periods": [r.period.isoformat() for r in rows],
        "scores": [round(r.final_score, 2) for r in rows],
        "labels": [r.class_label for r in rows],
        "bands": [{"from": b.low, "to": b.high, "colour": b.colour,
                   "label": f"{b.label} {b.name}"} for b in bands(profile, language)],
        "model_changes": [{"period": r.period.isoformat(), "version": r.model_version}
                          for r in rows if r.model_changed],
        "inspections": [r.period.isoformat() for r in rows if r.inspected],
        "texts": {"score": translate("score", language),
                  "model_change": translate("model_change", language),
                  "inspection": translate("inspection", language)},
        "max": MAX_SCORE,
    }
    return History(rows, chart)


@dataclass(frozen=True)
class ShareRow:
    level: str
    label: str
    name: str
    colour: str
    count: int
    share: float
    change: float | None


def share_rows(shares: ClassShares, profile: Profile, language: str) -> list[ShareRow]:
    return [ShareRow(b.level, b.label, b.name, b.colour, shares.counts[b.level],
                     shares.share(b.level), shares.change(b.level))
            for b in bands(profile, language)]


def shares_chart(rows: list[ShareRow]) -> dict[str, Any]:
    return {"labels": [f"{r.label} {r.name}" for r in rows],
            "values": [round(100 * r.share, 2) for r in rows],
            "colours": [r.colour for r in rows]}


def region_name(code: str, language: str) -> str:
    """The division's name (GB/T 2260), with its code in English."""
    name = division_names().get(code.ljust(6, "0"), "")
    if not name:
        return code
    return name if language == "zh" else f"{code} {name}"


def industry_name(section: str, language: str) -> str:
    found = BY_LETTER.get(section[:1]) if section else None
    if found is None:
        return section
    return f"{section} {found.zh if language == 'zh' else found.en}"


@dataclass(frozen=True)
class HeatCell:
    region: str
    industry: str
    enterprises: int
    share: float
    change: float | None
    high_risk: bool | None


@dataclass(frozen=True)
class HeatMap:
    regions: list[tuple[str, str]]
    """(code, name), in code order."""
    industries: list[tuple[str, str]]
    cells: list[HeatCell]

    def chart(self, link: str) -> dict[str, Any]:
        """ECharts data; ``link`` is the cell page's address with ``{region}`` and
        ``{industry}`` to fill in."""
        rows = {code: i for i, (code, _) in enumerate(self.regions)}
        columns = {code: i for i, (code, _) in enumerate(self.industries)}
        return {"regions": [name for _, name in self.regions],
                "industries": [name for _, name in self.industries],
                "cells": [[columns[c.industry], rows[c.region], round(100 * c.share, 1),
                           None if c.change is None else round(100 * c.change, 1),
                           c.enterprises] for c in self.cells],
                "links": [link.format(region=c.region, industry=c.industry)
                          for c in self.cells],
                "max": max([round(100 * c.share, 1) for c in self.cells] or [1])}


class RegionCell(Protocol):
    """What the heat map reads of a region × industry cell (`period_region_risk`'s rows)."""

    region: str
    industry_section: str
    enterprises: int
    share_c_or_d: float
    share_c_or_d_change: float | None
    high_risk: bool | None


def heat_map(cells: Sequence[RegionCell], language: str) -> HeatMap:
    """Region × industry cells (`serving.use_cases.period_region_risk`) as a matrix."""
    regions = sorted({c.region for c in cells})
    industries = sorted({c.industry_section for c in cells})
    return HeatMap([(r, region_name(r, language)) for r in regions],
                   [(i, industry_name(i, language)) for i in industries],
                   [HeatCell(c.region, c.industry_section, c.enterprises, c.share_c_or_d,
                             c.share_c_or_d_change, c.high_risk) for c in cells])


def dimension_name(dimension: str, language: str) -> str:
    for key, (zh, en) in DIMENSION_NAMES.items():
        if str(key) == dimension:
            return zh if language == "zh" else en
    return dimension


def bar_chart(labels: list[str], values: list[float], colours: list[str] | None = None
              ) -> dict[str, Any]:
    return {"labels": labels, "values": [round(v, 2) for v in values],
            "colours": colours or [TOTAL] * len(values)}

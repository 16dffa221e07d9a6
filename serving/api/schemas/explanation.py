"""An explanation in score points: base + Σ feature points + Σ rule points = final score."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from features.catalog import BY_NAME
from models.explain.explanation import Explanation, Line
from serving.api.schemas.results import RiskClassPublic
from serving.use_cases.explain import FeaturesSource

OTHERS = "other_features"
"""The line that sums the features below the top ones."""


class FeatureLinePublic(BaseModel):
    feature: str = Field(examples=["penalties_12m"])
    name_zh: str = Field(description="The indicator's 中文名 (the feature key for a column "
                                     "outside the catalog).", examples=["近12个月行政处罚次数"])
    name_en: str = Field(examples=["administrative penalties in the last 12 months"])
    zh: str = Field(description="The enterprise's value in words.",
                    examples=["近12个月行政处罚 2 次"])
    en: str = Field(examples=["2 administrative penalties in the last 12 months"])
    value: float | str | None = Field(
        None, description="The value the model read: a number, a category, or null when "
                          "missing.", examples=[2])
    dimension: str = Field(examples=["监管信息"])
    points: float = Field(examples=[84.2])


class RuleLinePublic(BaseModel):
    kind: str = Field(description="rule or fusion", examples=["rule"])
    rule: str = Field(examples=["serious_dishonesty_list"])
    zh: str
    en: str
    reason_zh: str = ""
    reason_en: str = ""
    points: float = Field(description="0 when the rule fired without binding.")


class ExplanationPublic(BaseModel):
    uscc: str
    as_of: dt.date | None
    base_points: float = Field(description="The score of the average enterprise.")
    model_score: float
    final_score: float
    risk_class: RiskClassPublic
    features: list[FeatureLinePublic] = Field(
        description=f"Largest |points| first; with a `top`, the rest summed in one "
                    f"`{OTHERS}` line, so that the lines still add up to the final score.")
    rules: list[RuleLinePublic] = Field(description="In the order they apply.")
    dimensions: dict[str, float] = Field(description="Points per indicator dimension.")
    rules_version: str
    model_version: str
    features_source: FeaturesSource | None = Field(
        None, description="For a published result: `snapshot` when the feature values are "
                          "those its run scored, `store` when they are recomputed from the "
                          "records now collected (runs kept before feature snapshots). Null "
                          "for a new score.")

    @classmethod
    def of(cls, explanation: Explanation, model_version: str, top: int | None = None,
           features_source: FeaturesSource | None = None
           ) -> ExplanationPublic:
        profile = explanation.profile
        level = explanation.risk_level
        # ``top``: the largest features, then one line for all the others (so it adds up)
        return cls(
            uscc=explanation.uscc, as_of=explanation.as_of,
            base_points=explanation.base_points, model_score=explanation.model_score,
            final_score=explanation.final_score,
            risk_class=RiskClassPublic.of(level, profile),
            features=_features(explanation.features, top),
            rules=[_rule(line) for line in explanation.rules],
            dimensions=dict(explanation.dimensions), rules_version=explanation.rules_version,
            model_version=model_version, features_source=features_source)




def _features(lines: list[Line], top: int | None) -> list[FeatureLinePublic]:
    shown = [_feature(line) for line in lines[:top]]
    rest = lines[top:] if top is not None else []
    if rest:
        zh, en = f"其余 {len(rest)} 项指标", f"the other {len(rest)} features"
        shown.append(FeatureLinePublic(
            feature=OTHERS, name_zh=zh, name_en=en, zh=zh, en=en, dimension="",
            points=sum(line.points for line in rest)))
    return shown


def _feature(line: Line) -> FeatureLinePublic:
    entry = BY_NAME.get(line.key)
    return FeatureLinePublic(feature=line.key, name_zh=entry.zh if entry else line.key,
                             name_en=entry.en if entry else line.key, zh=line.zh, en=line.en,
                             value=line.value, dimension=line.dimension, points=line.points)


def _rule(line: Line) -> RuleLinePublic:
    return RuleLinePublic(kind=line.kind, rule=line.key, zh=line.zh, en=line.en,
                          reason_zh=line.reason_zh, reason_en=line.reason_en,
                          points=line.points)

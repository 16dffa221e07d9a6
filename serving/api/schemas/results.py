"""Published classifications, enterprises' histories and stored explanations."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from models.levels import LEVEL_INDEX
from models.policy.profiles import Profile
from serving.results.rows import Factor, HistoryEntry, ResultRow

USCC_EXAMPLE = "91410100MA44C3XK1B"


class RiskClassPublic(BaseModel):
    """A class as the jurisdiction's profile presents it: colour is never its only carrier."""

    level: str = Field(description="Internal level A (lowest risk) … D.", examples=["C"])
    label: str = Field(description="The profile's label.", examples=["C"])
    zh: str = Field(examples=["较高风险"])
    en: str = Field(examples=["higher risk"])
    colour: str = Field(examples=["#f59e0b"])

    @classmethod
    def of(cls, level: str, profile: Profile) -> RiskClassPublic:
        style = profile.levels[LEVEL_INDEX[level]]
        return cls(level=level, label=style.label, zh=style.zh, en=style.en,
                   colour=style.colour)


class FactorPublic(BaseModel):
    feature: str = Field(examples=["penalties_12m"])
    points: float = Field(description="Score points (positive: towards higher risk).",
                          examples=[84.2])

    @classmethod
    def of(cls, factor: Factor) -> FactorPublic:
        return cls(feature=factor.feature, points=factor.points)


class ClassificationPublic(BaseModel):
    uscc: str = Field(examples=[USCC_EXAMPLE])
    period: dt.date
    final_score: float = Field(ge=0, le=1000, examples=[612.4])
    model_score: float = Field(ge=0, le=1000, examples=[540.0])
    risk_class: RiskClassPublic
    model_level: str = Field(description="The model's own class before the rules.")
    fired_rules: list[str] = Field(examples=[["abnormal_operation_list"]])
    base_points: float
    factors_up: list[FactorPublic] = Field(description="Top factors raising the score.")
    factors_down: list[FactorPublic] = Field(description="Top factors lowering the score.")
    prefecture: str | None = Field(None, examples=["410100"])
    county: str | None = Field(None, examples=["410102"])
    industry_section: str | None = Field(None, examples=["C"])
    model_version: str
    rules_version: str

    @classmethod
    def of(cls, row: ResultRow, profile: Profile) -> ClassificationPublic:
        return cls(uscc=row.uscc, period=row.period, final_score=row.final_score,
                   model_score=row.model_score, risk_class=RiskClassPublic.of(row.risk_level,
                                                                               profile),
                   model_level=row.model_level, fired_rules=list(row.fired_rules),
                   base_points=row.base_points,
                   factors_up=[FactorPublic.of(f) for f in row.factors_up],
                   factors_down=[FactorPublic.of(f) for f in row.factors_down],
                   prefecture=row.prefecture, county=getattr(row, "county", None),
                   industry_section=row.industry_section, model_version=row.model_version,
                   rules_version=row.rules_version)


class ClassificationPagePublic(BaseModel):
    period: dt.date
    items: list[ClassificationPublic]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; "
                                                      "absent on the last page.")


class HistoryEntryPublic(BaseModel):
    classification: ClassificationPublic
    profile: str
    data_fingerprint: str

    @classmethod
    def of(cls, entry: HistoryEntry, profile: Profile) -> HistoryEntryPublic:
        return cls(classification=ClassificationPublic.of(entry.result, profile),
                   profile=entry.profile, data_fingerprint=entry.data_fingerprint)


class EnterprisePublic(BaseModel):
    uscc: str = Field(examples=[USCC_EXAMPLE])
    latest: HistoryEntryPublic
    history: list[HistoryEntryPublic] = Field(description="Oldest first.")


class PeriodsPublic(BaseModel):
    periods: list[dt.date] = Field(description="Published periods, oldest first.")

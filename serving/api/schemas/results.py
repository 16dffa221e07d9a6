"""Published classifications, enterprises' histories and stored explanations.

The read paths that return many results (a page of 1,000 classifications, an enterprise's
history) build plain JSON documents with the ``*_document`` functions and encode them once
(`serving.api.documents.DocumentResponse`) instead of validating thousands of nested models
per request; each model's ``of`` validates the same document, and the tests check that every
document validates against its model, so the two cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

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
        return cls.model_validate(classification_document(row, class_styles(profile)))


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
        return cls.model_validate(history_document(entry, class_styles(profile)))


class EnterprisePublic(BaseModel):
    uscc: str = Field(examples=[USCC_EXAMPLE])
    latest: HistoryEntryPublic
    history: list[HistoryEntryPublic] = Field(description="Oldest first.")


class PeriodsPublic(BaseModel):
    periods: list[dt.date] = Field(description="Published periods, oldest first.")


# ---------------------------------------------------------------- documents (hot read paths)

ClassStyles = Mapping[str, dict[str, str]]
"""Each level's `RiskClassPublic` as a document, for one profile."""


def class_styles(profile: Profile) -> ClassStyles:
    return {level: RiskClassPublic.of(level, profile).model_dump() for level in LEVEL_INDEX}


def classification_document(row: ResultRow, styles: ClassStyles) -> dict[str, Any]:
    """`ClassificationPublic` of ``row`` as a plain document."""
    return {"uscc": row.uscc, "period": row.period, "final_score": row.final_score,
            "model_score": row.model_score, "risk_class": styles[row.risk_level],
            "model_level": row.model_level, "fired_rules": list(row.fired_rules),
            "base_points": row.base_points,
            "factors_up": [{"feature": f.feature, "points": f.points} for f in row.factors_up],
            "factors_down": [{"feature": f.feature, "points": f.points}
                             for f in row.factors_down],
            "prefecture": row.prefecture, "county": row.county,
            "industry_section": row.industry_section, "model_version": row.model_version,
            "rules_version": row.rules_version}


def page_document(period: dt.date, rows: Sequence[ResultRow], next_cursor: str | None,
                  profile: Profile) -> dict[str, Any]:
    """`ClassificationPagePublic` as a plain document."""
    styles = class_styles(profile)
    return {"period": period, "items": [classification_document(r, styles) for r in rows],
            "next_cursor": next_cursor}


def history_document(entry: HistoryEntry, styles: ClassStyles) -> dict[str, Any]:
    """`HistoryEntryPublic` as a plain document."""
    return {"classification": classification_document(entry.result, styles),
            "profile": entry.profile, "data_fingerprint": entry.data_fingerprint}


def enterprise_document(latest: HistoryEntry, history: Sequence[HistoryEntry],
                        profile: Profile) -> dict[str, Any]:
    """`EnterprisePublic` as a plain document."""
    styles = class_styles(profile)
    return {"uscc": latest.result.uscc, "latest": history_document(latest, styles),
            "history": [history_document(entry, styles) for entry in history]}

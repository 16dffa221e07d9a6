"""Early warnings (监测预警) and what was done about them (处置)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DispositionStatus = Literal["open", "in_progress", "resolved", "dismissed"]


class DispositionCreate(BaseModel):
    """What was done about a warning; every disposition is kept, the latest is current."""

    model_config = ConfigDict(extra="forbid")
    status: DispositionStatus = Field(examples=["resolved"])
    action_taken: str | None = Field(None, max_length=200, examples=["约谈负责人，限期整改"])
    department: str | None = Field(None, max_length=120, examples=["食品经营监管科"])
    note: str | None = Field(None, max_length=2000)


class DispositionPublic(BaseModel):
    status: DispositionStatus
    action_taken: str | None = None
    department: str | None = None
    note: str | None = None
    key_id: str | None = Field(None, description="The API key that recorded it.")
    recorded_at: dt.datetime


class WarningPublic(BaseModel):
    warning_id: str = Field(examples=["20251231-91410100MA44C3XK1B"])
    uscc: str
    period: dt.date
    severity: int = Field(examples=[3])
    action: str = Field(description="Suggested action: 提醒, 警示, 约谈 or 检查.")
    action_en: str = Field(examples=["interview"])
    triggers: list[str]
    previous_level: str | None
    risk_level: str
    disposition: DispositionPublic | None = Field(None, description="The latest one.")


class WarningsPublic(BaseModel):
    items: list[WarningPublic]


class RegionRiskPublic(BaseModel):
    level: Literal["prefecture", "county"]
    region: str = Field(examples=["410100"])
    industry_section: str = Field(examples=["C"])
    enterprises: int
    share_c_or_d: float = Field(ge=0, le=1)
    share_c_or_d_change: float | None = Field(None, description="Against the previous period.")
    mean_score: float
    mean_score_change: float | None = None
    high_risk: bool | None = Field(description="By the rule in `high_risk_rule`; null for "
                                               "cells published before it existed.")


class RegionsPublic(BaseModel):
    period: dt.date
    level: Literal["prefecture", "county"]
    high_risk_rule: str
    items: list[RegionRiskPublic]

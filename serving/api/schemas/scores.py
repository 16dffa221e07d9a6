"""Real-time scoring: from supplied feature rows or from the store by USCC."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from serving.api.schemas.explanation import ExplanationPublic
from serving.api.schemas.results import RiskClassPublic

FeatureValue = float | int | str | bool | None


class ScoreCreate(BaseModel):
    """Either ``enterprises`` (USCCs, features computed from the store at ``as_of``) or
    ``rows`` (feature rows named as in the catalog), 1 to 10,000 of them."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"enterprises": ["91410100MA44C3XK1B"], "as_of": "2025-12-31"},
        {"rows": [{"uscc": "91410100MA44C3XK1B", "age_years": 3.5, "penalties_12m": 2}]}]})
    enterprises: list[str] | None = Field(None, min_length=1,
                                          description="USCCs to score from the store.")
    as_of: dt.date | None = Field(None, description="Date of the features (store only); the "
                                                    "store's last collection date if omitted.")
    rows: list[dict[str, FeatureValue]] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_source(self) -> ScoreCreate:
        if (self.enterprises is None) == (self.rows is None):
            raise ValueError("give either 'enterprises' or 'rows', not both nor neither")
        if self.rows is not None and self.as_of is not None:
            raise ValueError("'as_of' applies to 'enterprises'; date rows with an 'as_of' "
                             "column instead")
        return self

    @property
    def count(self) -> int:
        return len(self.enterprises or self.rows or ())


class FiredRulePublic(BaseModel):
    rule: str = Field(examples=["abnormal_operation_list"])
    reason_zh: str = ""
    reason_en: str = ""
    basis: str | None = Field(None, description="The legal or policy basis.")
    binding: bool = Field(description="Whether it changed the class.")
    points: float


class EnterpriseScorePublic(BaseModel):
    uscc: str | None
    as_of: dt.date | None
    probability: float = Field(ge=0, le=1, description="Of an adverse outcome in 12 months.")
    model_score: float = Field(ge=0, le=1000)
    final_score: float = Field(ge=0, le=1000)
    model_level: str
    risk_class: RiskClassPublic
    fired_rules: list[FiredRulePublic]
    explanation: ExplanationPublic | None = None


class ScoresPublic(BaseModel):
    items: list[EnterpriseScorePublic] = Field(description="In request order.")
    missing: list[str] = Field(default_factory=list,
                               description="USCCs not alive in the store at the date.")
    model_version: str
    rules_version: str
    profile: str

"""Searching enterprises."""

from __future__ import annotations

from pydantic import BaseModel, Field


class EnterpriseMatchPublic(BaseModel):
    uscc: str = Field(examples=["91410100MA44C3XK1B"])
    name: str = Field(examples=["郑州某某食品有限公司"])
    region_code: str | None = Field(None, examples=["410102"])
    industry_code: str | None = Field(None, examples=["C13"])
    risk_level: str | None = Field(None, description="The latest published class, if any.")


class SearchPublic(BaseModel):
    items: list[EnterpriseMatchPublic]

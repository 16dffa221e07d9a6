"""Spot-check results coming back from the sampling module."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from serving.api.schemas.warnings import WarningPublic


class InspectionResultCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    draw_id: str | None = Field(None, max_length=64,
                                description="The draw the target came from (双随机).",
                                examples=["D20260115-0007"])
    uscc: str = Field(max_length=40, examples=["91410100MA44C3XK1B"])
    inspected_on: dt.date = Field(examples=["2026-01-20"])
    items: list[str] = Field(min_length=1, max_length=50,
                             description="The checked items (抽查事项).",
                             examples=[["食品经营许可", "从业人员健康证明"]])
    result: str = Field(max_length=20, description="no_problem, problem_found or not_located",
                        examples=["problem_found"])
    department: str = Field(max_length=120, examples=["郑州市市场监督管理局"])
    inspector_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=20,
        description="Who inspected, by the roster's inspector ids (执法检查人员): 回避 keeps "
                    "them away from this enterprise in the draws of the avoidance window.",
        examples=[["INS-410102-SCJG-001", "INS-410102-SCJG-007"]])


class InspectionBatchCreate(BaseModel):
    """1 to 10,000 results; all are accepted or none (a problem names every item at fault)."""

    model_config = ConfigDict(extra="forbid")
    results: list[InspectionResultCreate] = Field(max_length=10_000)


class InspectionOutcomePublic(BaseModel):
    accepted: int
    inspections_inserted: int
    inspections_updated: int
    inspections_unchanged: int
    store_version: str
    published: bool = Field(description="False when every result was already stored.")
    rescored: int = Field(description="Enterprises re-scored for warnings.")
    rescore_problem: str | None = None
    warnings: list[WarningPublic] = Field(description="Warnings the results raised.")

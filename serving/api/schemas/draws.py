"""Requests and answers of the 双随机 draws (``/v1/sampling``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["A", "B", "C", "D"]
CODE = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"


class ForcedTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uscc: str = Field(min_length=18, max_length=18, examples=["91410100MA44C3XK1B"])
    reason: str = Field(min_length=1, max_length=200,
                        examples=["重点监管: class D with on-site checks"])


class DrawCreate(BaseModel):
    """One campaign over a published period. Counts per class are ⌈ratio × N⌉ (the
    profile's ratios unless ``ratios`` is given) or, with ``budget``, that many inspections
    allocated in proportion to ratio × N and never below those floors."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "period": "2025-12-31", "task": "FOOD", "seed": "2026001-03-08-15-21-27-30",
        "seed_source": "福彩双色球 2026001期开奖号码", "mode": "per-class",
        "ratios": {"A": 1, "B": 3, "C": 10, "D": 20}, "region": "4101",
        "forced": [{"uscc": "91410100MA44C3XK1B", "reason": "投诉举报 (触发式)"}]}]})
    period: dt.date = Field(examples=["2025-12-31"])
    task: str = Field(pattern=CODE, max_length=32, description="A task of the items catalogue.",
                      examples=["GEN"])
    seed: str | None = Field(None, min_length=1, max_length=200, pattern=r"^[^|\x00-\x1f]+$",
                             description="A value committed before the draw (a published "
                                         "lottery number); omitted: a secure random seed.")
    seed_source: str | None = Field(None, min_length=1, max_length=200)
    ratios: dict[Level, Annotated[float, Field(ge=0, le=100)]] | None = Field(
        None, description="Percent per class; omitted: the jurisdiction profile's.",
        examples=[{"A": 1, "B": 3, "C": 10, "D": 20}])
    budget: int | None = Field(None, ge=1, le=1_000_000)
    mode: Literal["combined", "per-class", "batched"] = "combined"
    batches: int = Field(1, ge=1, le=100, description="Batches of mode batched.")
    region: str | None = Field(None, pattern=r"^\d{2,6}$", examples=["4101"])
    sections: list[str] = Field(default_factory=list, max_length=20, examples=[["F", "H"]])
    divisions: list[str] = Field(default_factory=list, max_length=100, examples=[["H62"]])
    enterprise_types: list[str] = Field(default_factory=list, max_length=20)
    domain_tags: list[str] = Field(default_factory=list, max_length=10, examples=[["food"]])
    forced: list[ForcedTarget] = Field(default_factory=list, max_length=10_000,
                                       description="The key list (重点监管 / 触发式), drawn "
                                                   "apart from the random part.")
    recent_months: int | None = Field(None, ge=0, le=120)
    inspectors_per_target: int | None = Field(None, ge=1, le=10)
    workload_cap: int | None = Field(None, ge=1, le=10_000)
    avoid_months: int | None = Field(None, ge=0, le=120)
    drawn_on: dt.date | None = Field(None, description="Default: today (UTC).")


class InspectorPublic(BaseModel):
    inspector_id: str
    unit: str
    department: str


class TargetPublic(BaseModel):
    uscc: str
    risk_level: Level = Field(description="The class held when drawn (internal).")
    region_code: str
    part: Literal["random", "key"]
    reason: str | None
    batch: str
    position: int
    rank_sha256: str
    items: list[str]
    inspectors: list[InspectorPublic]


class ExclusionPublic(BaseModel):
    uscc: str
    inspector_id: str
    reason: str = Field(examples=["declared_enterprise"])


class CancellationPublic(BaseModel):
    reason: str
    author: str
    cancelled_at: dt.datetime


class DrawSummaryPublic(BaseModel):
    draw_id: str = Field(examples=["DRW-20251231-3f9a0c1d2e4b"])
    period: dt.date
    task: str
    mode: str
    region: str | None
    status: Literal["active", "cancelled"]
    created_at: dt.datetime
    author: str
    population: int
    targets: int
    counts: dict[str, int] = Field(description="Random targets per class.")
    key_targets: int
    population_sha256: str
    record_sha256: str
    cancellation: CancellationPublic | None = None


class DrawPublic(DrawSummaryPublic):
    record: dict[str, Any] = Field(description="Parameters, seed and its source, versions.")
    items: list[TargetPublic]
    exclusions: list[ExclusionPublic] = Field(description="Inspectors kept away (回避).")


class DrawsPublic(BaseModel):
    items: list[DrawSummaryPublic]


class MemberPublic(BaseModel):
    uscc: str
    risk_level: Level
    recent: bool
    items: list[str]


class DrawRecordPublic(BaseModel):
    """What anyone needs to recompute the selection (docs/draws.md)."""

    draw_id: str
    record: dict[str, Any]
    record_sha256: str
    population: list[MemberPublic]


class CancellationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000, examples=["drawn on the wrong task"])


class TargetProgressPublic(BaseModel):
    uscc: str
    risk_level: Level
    batch: str
    part: str
    result: str = Field(examples=["pending", "problem_found"])
    routed_to: list[str] = Field(description="Departments responsible for the items "
                                             "(谁审批、谁监管) when a problem was found.")


class ProgressPublic(BaseModel):
    draw_id: str
    status: str
    targets: int
    done: int
    by_batch: dict[str, dict[str, int]]
    items: list[TargetProgressPublic]


class EffectRowPublic(BaseModel):
    prefecture: str = Field(examples=["all", "410100"])
    risk_level: Level
    targets: int
    inspected: int
    problems: int
    not_located: int
    rate: float | None = Field(description="Problems found per inspection.")
    low: float | None = Field(description="Wilson 95 % interval, lower end.")
    high: float | None
    henan_2021: float = Field(description="Henan's 2021 figure for the class.")


class EffectPublic(BaseModel):
    period: dt.date
    items: list[EffectRowPublic]

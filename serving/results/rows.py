"""What the results store returns, typed: one frozen record per kind of row.

The API and the pages map these to their own response schemas; nothing downstream picks
values out of dictionaries by string keys.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict

from models.levels import RiskLevel
from serving.results.schema import TOP_FACTORS


@dataclass(frozen=True)
class RunInfo:
    """A classification run: a monthly period's publication or a rescore."""

    run_id: str
    period: dt.date
    kind: str
    status: str
    model_uri: str
    model_version: str
    rules_version: str
    profile: str
    data_fingerprint: str
    store_version: str
    rows: int


class Factor(NamedTuple):
    """One of the features that moved an enterprise's score most, in score points."""

    feature: str
    points: float


class ResultRow(NamedTuple):
    """One enterprise's published classification for one period (immutable; a named tuple,
    since a page makes a thousand: frozen dataclasses cost it 3 ms more)."""

    uscc: str
    period: dt.date
    model_score: float
    final_score: float
    model_level: RiskLevel
    risk_level: RiskLevel
    class_label: str
    fired_rules: tuple[str, ...]
    base_points: float
    factors_up: tuple[Factor, ...]
    factors_down: tuple[Factor, ...]
    prefecture: str | None
    county: str | None
    """The county-level division the enterprise registered in; None when it registered at
    a prefecture or provincial bureau (or for results published before counties were kept)."""
    industry_section: str | None
    industry_division: str | None
    """GB/T 4754 section letter + 2-digit division, e.g. ``C13`` (the section alone when the
    enterprise's code has no division)."""
    domain_tags: tuple[str, ...]
    """The enterprise's professional-supervision domains (food, drug, …), as published."""
    input_fingerprint: str
    model_version: str
    rules_version: str

    @property
    def region_code(self) -> str | None:
        """The enterprise's registering division (GB/T 2260): its county, else prefecture."""
        return self.county or self.prefecture

    @classmethod
    def from_mapping(cls, row: Any) -> ResultRow:
        """From a ``results`` row (columns as in `serving.results.schema.results`)."""
        return cls(
            row["uscc"], row["period"], row["model_score"], row["final_score"],
            row["model_level"], row["risk_level"], row["class_label"],
            tuple(filter(None, row["fired_rules"].split(";"))), row["base_points"],
            _factors(row, "up"), _factors(row, "down"), row["prefecture"], row["county"],
            row["industry_section"], row["industry_division"],
            tuple(filter(None, (row["domain_tags"] or "").split(";"))),
            row["input_fingerprint"], row["model_version"], row["rules_version"])


@dataclass(frozen=True)
class HistoryEntry:
    """A published result with the versions of everything behind it (全程可查询、可追溯)."""

    result: ResultRow
    profile: str
    data_fingerprint: str
    run_id: str = ""
    """The run that produced it (its feature snapshot, when kept, is under this id)."""


@dataclass(frozen=True)
class StoredWarning:
    """An early warning recorded with a run, most severe first when listed."""

    uscc: str
    period: dt.date
    severity: int
    action: str
    """The suggested action in 中文: 提醒, 警示, 约谈 or 检查."""
    action_en: str
    triggers: tuple[str, ...]
    previous_level: RiskLevel | None
    risk_level: RiskLevel

    @classmethod
    def from_mapping(cls, row: Any) -> StoredWarning:
        return cls(uscc=row["uscc"], period=row["period"], severity=row["severity"],
                   action=row["action"], action_en=row["action_en"],
                   triggers=tuple(t for t in row["triggers"].split(";") if t),
                   previous_level=row["previous_level"], risk_level=row["risk_level"])


@dataclass(frozen=True)
class RegionRisk:
    """One region × industry section cell of a period (区域性、行业性风险), at prefecture or
    county level; see `serving.monthly.regional` for the high-risk rule."""

    period: dt.date
    level: str
    """``prefecture`` or ``county``."""
    region: str
    """The 6-digit division code of the prefecture or county."""
    industry_section: str
    enterprises: int
    share_c_or_d: float
    mean_score: float
    share_c_or_d_change: float | None
    """Against the previous period's same cell, as a fraction (0.05 = 5 percentage points);
    None when the cell is new."""
    mean_score_change: float | None
    """Against the previous period's same cell; None when the cell is new."""
    high_risk: bool | None
    """None on cells published before the rule existed (carried over by migration 0004)."""


@dataclass(frozen=True)
class Disposition:
    """One recorded step of what was done about a warning (处置); never overwritten."""

    disposition_id: int
    period: dt.date
    uscc: str
    run_id: str
    """The run whose warning was disposed of."""
    status: str
    """``open``, ``in_progress``, ``resolved`` or ``dismissed``."""
    action_taken: str | None
    department: str | None
    note: str | None
    key_id: str | None
    """The API key that recorded it (None from the command line)."""
    recorded_at: dt.datetime

    @classmethod
    def from_mapping(cls, row: Any) -> Disposition:
        recorded = row["recorded_at"]
        return cls(**{**row, "recorded_at": recorded if recorded.tzinfo
                      else recorded.replace(tzinfo=dt.UTC)})


class PeriodAnalysis(BaseModel):
    """Month over month: class shares, migration, score stability and warning counts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enterprises: int
    class_shares: dict[RiskLevel, float]
    mean_final_score: float | None
    previous_enterprises: int
    previous_class_shares: dict[RiskLevel, float] | None = None
    migration: dict[str, dict[str, int]] | None = None
    """Previous level (or ``new``) → current level (or ``gone``) → enterprises."""
    class_rose: int | None = None
    class_fell: int | None = None
    score_psi: float | None = None
    warnings: dict[str, int] = {}
    """Warnings by suggested action (remind, warn, interview, inspect)."""
    since: str | None = None
    """The date new records are counted from (the previous period)."""

    COMPARISON: ClassVar[tuple[str, ...]] = (
        "previous_class_shares", "migration", "class_rose", "class_fell", "score_psi")

    def to_json(self) -> dict[str, Any]:
        """As stored: the comparison fields only when there was a previous period."""
        data = self.model_dump(mode="json")
        return {k: v for k, v in data.items() if k not in self.COMPARISON or v is not None}


_FACTOR_COLUMNS = {way: [(f"factor_{way}_{rank}", f"points_{way}_{rank}")
                          for rank in range(1, TOP_FACTORS + 1)] for way in ("up", "down")}


def _factors(row: Any, way: str) -> tuple[Factor, ...]:
    return tuple([Factor(row[feature], row[points]) for feature, points in _FACTOR_COLUMNS[way]
                  if row[feature]])

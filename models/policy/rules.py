"""The qualitative rules as versioned configuration, validated on load.

A rules file (`rules.yaml` is the shipped one) holds a version, the rules and the 通用+专业
fusion matrix. Each rule has an id, a condition over the enterprise's features (list status
included: ``serious_dishonesty_now`` …), an action — ``force`` a class, ``floor`` at a class or
``cap`` at a class — a reason in 中文 and English, its legal or policy basis and the dates it is
in effect. Classes are the internal levels A (low risk) … D (high risk).

The version recorded with models and results is the file's declared version plus the sha256 of
its text, so an edit that forgets to bump the version is still told apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from features.catalog import BY_NAME
from models.levels import LEVELS, RiskLevel
from models.policy.common import (
    PolicyFileError,
    Text,
    describe_errors,
    parse_yaml,
    read_text,
)
from models.policy.conditions import Condition

RULES_FILE = Path(__file__).with_name("rules.yaml")
Action = Literal["force", "floor", "cap"]


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    when: Condition
    action: Action
    level: RiskLevel = Field(alias="class")
    reason: Text
    basis: str = Field(min_length=1)
    effective_from: dt.date
    effective_to: dt.date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Rule:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"effective_to {self.effective_to} is before effective_from "
                             f"{self.effective_from}")
        return self

    @property
    def level_index(self) -> int:
        return LEVELS.index(self.level)

    def in_effect(self, as_of: dt.date) -> bool:
        return self.effective_from <= as_of and (
            self.effective_to is None or as_of <= self.effective_to)


class Fusion(BaseModel):
    """通用+专业: the supervision class for a general class and a domain risk grade."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grade_feature: str
    grades: dict[RiskLevel, float]
    """The feature value that stands for each domain grade."""
    matrix: dict[RiskLevel, tuple[RiskLevel, RiskLevel, RiskLevel, RiskLevel]]
    """Row: the general class; columns: the domain grade A, B, C, D."""
    reason: Text
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> Fusion:
        if self.grade_feature not in BY_NAME:
            raise ValueError(f"grade_feature {self.grade_feature!r} is not in the feature "
                             "catalog")
        for name, mapping in (("grades", self.grades), ("matrix", self.matrix)):
            if sorted(mapping) != list(LEVELS):
                raise ValueError(f"{name} needs one entry for each of A, B, C, D, found "
                                 f"{sorted(mapping)}")
        return self

    def table(self) -> list[list[int]]:
        """The matrix as level indices: table[general][grade]."""
        return [[LEVELS.index(cell) for cell in self.matrix[row]] for row in LEVELS]


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    title: str = ""
    rules: tuple[Rule, ...]
    fusion: Fusion | None = None
    digest: str = ""
    source: str = ""
    """The file's text, kept so a model can carry its rules verbatim."""

    @property
    def version_id(self) -> str:
        return f"{self.version}+sha256:{self.digest[:12]}" if self.digest else self.version

    def features(self) -> set[str]:
        used = set().union(*(rule.when.features() for rule in self.rules))
        return used | ({self.fusion.grade_feature} if self.fusion else set())

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def parse_rules(text: str, where: str) -> RuleSet:
    """A `RuleSet` from YAML text; every error names ``where``, the rule and the field."""
    raw = parse_yaml(text, where)
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        raise PolicyFileError(f"{where}: expected a mapping with 'version' and a list 'rules'")
    rules, seen = [], set()
    for number, entry in enumerate(raw["rules"], start=1):
        rule_id = entry.get("id") if isinstance(entry, dict) else None
        label = f"{where}: rule {rule_id!r}" if rule_id else f"{where}: rule #{number}"
        try:
            rule = Rule.model_validate(entry)
        except ValidationError as error:
            raise PolicyFileError(describe_errors(error, label)) from None
        if rule.id in seen:
            raise PolicyFileError(f"{label}, field 'id': the id is used by an earlier rule")
        seen.add(rule.id)
        rules.append(rule)
    fusion = _parse_fusion(raw.get("fusion"), where)
    rest = {k: v for k, v in raw.items() if k not in ("rules", "fusion")}
    try:
        return RuleSet(**_strings(rest), rules=tuple(rules), fusion=fusion,
                       digest=hashlib.sha256(text.encode("utf-8")).hexdigest(), source=text)
    except (ValidationError, TypeError) as error:
        detail = (describe_errors(error, where) if isinstance(error, ValidationError)
                  else f"{where}: {error}")
        raise PolicyFileError(detail) from None


def _parse_fusion(raw: Any, where: str) -> Fusion | None:
    if raw is None:
        return None
    try:
        return Fusion.model_validate(raw)
    except ValidationError as error:
        raise PolicyFileError(describe_errors(error, f"{where}: fusion")) from None


def _strings(values: dict[str, Any]) -> dict[str, Any]:
    """YAML reads ``version: 2026.11`` as a number; the version is text."""
    return {k: str(v) if k == "version" and v is not None else v for k, v in values.items()}


def load_rules(path: Path = RULES_FILE) -> RuleSet:
    return parse_rules(read_text(path), str(path))


@cache
def shipped_rules() -> RuleSet:
    return load_rules(RULES_FILE)


NO_RULES = RuleSet(version="none", rules=(), fusion=None)
"""The model score alone: for tables without the catalog features the rules read."""

"""The inspection items catalogue (抽查事项清单): versioned YAML, validated on load.

Each item names the department responsible for it and the enterprises it applies to; each task
(抽查任务) lists its items. A target of a task gets every item of the task that applies to it
("进一次门、查多项事"), and an enterprise to which no item of the task applies is not in the
task's population. `items.yaml` ships the default; its version is the file's ``version`` with
the first 12 hex digits of the file's sha256, so an edited file never passes for the shipped one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from features.contract import ENTERPRISE_TYPES
from features.reference.industries import SECTIONS, divisions
from features.reference.licences import LICENCE_CODES
from features.reference.record_types import DOMAINS
from models.policy.common import PolicyFileError, Text, describe_errors, parse_yaml, read_text

CATALOGUE_FILE = Path(__file__).with_name("items.yaml")
CODE = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"
_SECTIONS = {s.letter for s in SECTIONS}


class AppliesTo(BaseModel):
    """Which enterprises an item applies to: every condition given must hold, each by any of
    its values; no condition at all applies to every enterprise."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sections: tuple[str, ...] = ()
    divisions: tuple[str, ...] = ()
    enterprise_types: tuple[str, ...] = ()
    domain_tags: tuple[str, ...] = ()
    licence_types: tuple[str, ...] = ()
    """Licence types (`features.reference.licences`) of which the enterprise holds one valid
    at the draw's period (see `EnterpriseFacts.licence_types`)."""

    @field_validator("sections")
    @classmethod
    def _sections(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [v for v in values if v not in _SECTIONS]
        if wrong:
            raise ValueError(f"expected GB/T 4754 section letters, found {wrong}")
        return values

    @field_validator("divisions")
    @classmethod
    def _divisions(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [v for v in values
                 if not re.fullmatch(r"[A-T][0-9]{2}", v) or v[1:] not in divisions(v[0])]
        if wrong:
            raise ValueError(f"expected GB/T 4754 divisions (section letter + 2 digits), "
                             f"found {wrong}")
        return values

    @field_validator("enterprise_types")
    @classmethod
    def _types(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [v for v in values if v not in ENTERPRISE_TYPES]
        if wrong:
            raise ValueError(f"expected enterprise types from {', '.join(ENTERPRISE_TYPES)}, "
                             f"found {wrong}")
        return values

    @field_validator("domain_tags")
    @classmethod
    def _domains(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [v for v in values if v not in DOMAINS]
        if wrong:
            raise ValueError(f"expected domain tags from {', '.join(DOMAINS)}, found {wrong}")
        return values

    @field_validator("licence_types")
    @classmethod
    def _licences(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [v for v in values if v not in LICENCE_CODES]
        if wrong:
            raise ValueError(f"expected licence types from {', '.join(LICENCE_CODES)}, "
                             f"found {wrong}")
        return values

    def matches(self, enterprise: EnterpriseFacts) -> bool:
        return ((not self.sections or enterprise.section in self.sections)
                and (not self.divisions or enterprise.division in self.divisions)
                and (not self.enterprise_types
                     or enterprise.enterprise_type in self.enterprise_types)
                and (not self.domain_tags
                     or any(tag in self.domain_tags for tag in enterprise.domain_tags))
                and (not self.licence_types
                     or any(kind in self.licence_types for kind in enterprise.licence_types)))


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(pattern=CODE, max_length=32)
    name: str = Field(min_length=1)
    department: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,15}$",
                            description="Responsible department (谁审批、谁监管).")
    applies_to: AppliesTo = AppliesTo()


class Task(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(pattern=CODE, max_length=32)
    name: Text
    items: tuple[str, ...] = Field(min_length=1)
    joint: bool = Field(False, description="联合抽查: inspectors from ≥ 2 departments.")


@dataclass(frozen=True)
class EnterpriseFacts:
    """What item matching reads of an enterprise."""

    section: str | None
    division: str | None
    enterprise_type: str | None
    domain_tags: tuple[str, ...]
    licence_types: tuple[str, ...] = ()
    """The licence types it holds valid at the draw's period (sorted): the latest licence
    record of the type visible then was granted or renewed, within the type's term."""


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str = Field(min_length=1, max_length=40)
    items: tuple[Item, ...] = Field(min_length=1)
    tasks: tuple[Task, ...] = Field(min_length=1)
    sha256: str = ""

    @property
    def label(self) -> str:
        """The version recorded with every draw: ``<version>+<12 hex of the file's sha256>``."""
        return f"{self.version}+{self.sha256[:12]}"

    def item(self, code: str) -> Item:
        return next(i for i in self.items if i.code == code)

    def task(self, code: str) -> Task:
        """The task ``code``; a `KeyError` naming the known tasks otherwise."""
        for task in self.tasks:
            if task.code == code:
                return task
        raise KeyError(f"task: expected one of {', '.join(t.code for t in self.tasks)}, "
                       f"found {code!r}")

    def asks_licences(self, task: Task) -> bool:
        """Whether an item of ``task`` applies by licence type (the draw then reads the
        enterprises' licences)."""
        return any(self.item(code).applies_to.licence_types for code in task.items)

    def applicable(self, task: Task, enterprise: EnterpriseFacts) -> tuple[str, ...]:
        """The task's items that apply to ``enterprise``, in the task's order."""
        return tuple(code for code in task.items
                     if self.item(code).applies_to.matches(enterprise))

    def departments(self, codes: Iterable[str]) -> tuple[str, ...]:
        """The departments responsible for these items (sorted, each once)."""
        return tuple(sorted({self.item(code).department for code in codes}))


def _check_references(catalogue: Catalogue, where: str) -> None:
    problems = []
    seen: set[str] = set()
    for index, item in enumerate(catalogue.items):
        if item.code in seen:
            problems.append(f"{where}, item {item.code!r} (items[{index}]), field 'code': "
                            "expected a code not used by an earlier item")
        seen.add(item.code)
    tasks: set[str] = set()
    for task in catalogue.tasks:
        if task.code in tasks:
            problems.append(f"{where}, task {task.code!r}, field 'code': expected a code not "
                            "used by an earlier task")
        tasks.add(task.code)
        unknown = [code for code in task.items if code not in seen]
        if unknown:
            problems.append(f"{where}, task {task.code!r}, field 'items': expected item codes "
                            f"of this catalogue, found {unknown}")
        if len(set(task.items)) != len(task.items):
            problems.append(f"{where}, task {task.code!r}, field 'items': expected each item "
                            "once")
    if problems:
        raise PolicyFileError("\n".join(problems))


def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    """The catalogue in ``path``, validated; `PolicyFileError` names the item (or task) and
    the field of every problem."""
    text = read_text(path)
    raw = parse_yaml(text, str(path))
    if not isinstance(raw, dict):
        raise PolicyFileError(f"{path}: expected a mapping with 'version', 'items' and 'tasks'")
    problems = []
    items = raw.get("items")
    if isinstance(items, list):
        for index, entry in enumerate(items):
            code = entry.get("code") if isinstance(entry, dict) else None
            try:
                Item.model_validate(entry)
            except ValidationError as error:
                problems.append(describe_errors(error, f"{path}: item {code!r} (items[{index}])"))
    tasks = raw.get("tasks")
    if isinstance(tasks, list):
        for index, entry in enumerate(tasks):
            code = entry.get("code") if isinstance(entry, dict) else None
            try:
                Task.model_validate(entry)
            except ValidationError as error:
                problems.append(describe_errors(error, f"{path}: task {code!r} (tasks[{index}])"))
    if problems:
        raise PolicyFileError("\n".join(problems))
    try:
        catalogue = Catalogue.model_validate(
            {**raw, "sha256": hashlib.sha256(text.encode()).hexdigest()})
    except ValidationError as error:
        raise PolicyFileError(describe_errors(error, str(path))) from None
    _check_references(catalogue, str(path))
    return catalogue


@cache
def shipped_catalogue() -> Catalogue:
    return load_catalogue(CATALOGUE_FILE)


def catalogue(path: Path | None = None) -> Catalogue:
    """The catalogue in ``path``, or the shipped one."""
    return load_catalogue(path) if path else shipped_catalogue()

"""Pieces the policy modules share: bilingual text, YAML loading, error wording."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError


class PolicyFileError(ValueError):
    """A rules or profiles file that cannot be used; the message names the entry and field."""


class Text(BaseModel):
    """The same statement in 中文 and English."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str
    en: str


def read_text(path: Path) -> str:
    """The file's text, or a `PolicyFileError` naming the file when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyFileError(f"{path}: cannot read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise PolicyFileError(f"{path}: not UTF-8 text (invalid byte 0x"
                              f"{error.object[error.start]:02x} at offset {error.start}); "
                              "save the file as UTF-8") from None


def parse_yaml(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PolicyFileError(f"{where}: not valid YAML: {error}") from None


def describe_errors(error: ValidationError, where: str) -> str:
    """One line per problem: where, which field, what was expected, what was found."""
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]
                         if not str(part)[:1].isupper()) or "(entry)"
        found = problem.get("input")
        shown = "" if isinstance(found, dict) else f" (found {found!r})"
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"{where}, field {field!r}: {message}{shown}")
    return "\n".join(lines)

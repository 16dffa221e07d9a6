"""Pieces the policy modules share: bilingual text, YAML loading, error wording.

Policy files are read strictly, since a ``--rules`` file or a model's bundled rules may come
from anywhere: UTF-8 only, no anchors or aliases (a kilobyte of nested aliases expands to
gigabytes), at most `MAX_YAML_DEPTH` levels of nesting (composing recurses) and no duplicate
keys or merge keys (YAML would keep one of the values silently).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from yaml.nodes import MappingNode, Node

MAX_YAML_DEPTH = 50
"""The deepest nesting a policy file may have; its top-level mapping is level 1."""


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


class _Refused(yaml.YAMLError):
    """Valid YAML that a policy file may not use, at a line of the text."""

    def __init__(self, message: str, mark: yaml.Mark) -> None:
        super().__init__(message)
        self.message = message
        self.line = mark.line + 1


class _StrictLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` refusing anchors, aliases, deep nesting and duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
            raise _Refused("anchors and aliases (&name, *name) are not allowed in policy "
                           f"files; write each entry out, found '{sign}{event.anchor}'",
                           event.start_mark)
        if self._depth >= MAX_YAML_DEPTH:
            raise _Refused(f"nested more than {MAX_YAML_DEPTH} levels deep", event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Refused("merge keys (<<) are not allowed in policy files; write each "
                               "entry out", key_node.start_mark)
            key = self.construct_object(key_node, deep=deep)
            try:
                earlier = first.get(key)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if earlier is not None:
                raise _Refused(f"duplicate key {key!r} (first on line {earlier})",
                               key_node.start_mark)
            first[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, where: str) -> Any:
    """The YAML document in ``text``, read strictly; errors are one line naming ``where``."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except _Refused as error:
        raise PolicyFileError(f"{where}, line {error.line}: {error.message}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f", line {mark.line + 1}" if mark else ""
        detail = ", ".join(part for part in (error.context, error.problem) if part)
        raise PolicyFileError(f"{where}{line}: not valid YAML: {detail}") from None
    except yaml.YAMLError as error:
        raise PolicyFileError(f"{where}: not valid YAML: {' '.join(str(error).split())}"
                              ) from None


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

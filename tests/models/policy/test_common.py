"""Policy YAML is read strictly: UTF-8 only, no anchors or aliases, bounded nesting, no
duplicate keys; each refusal is one line naming the file and the line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from models.policy.common import PolicyFileError, parse_yaml
from models.policy.profiles import PROFILES_FILE, load_profiles
from models.policy.rules import RULES_FILE, load_rules, parse_rules

DEPTH = 50
"""The deepest nesting a policy file may have (its top-level mapping is level 1)."""
COMPARISON = '{feature: penalties_12m, op: ">=", value: 1}'
RULE = """version: "1.0"
rules:
  - id: bomb
    when:
{when}
    action: floor
    class: C
    reason: {{zh: 测试, en: test}}
    basis: test basis
    effective_from: 2023-01-01
"""


def alias_bomb(levels: int, width: int = 10) -> str:
    """A rules file whose condition expands to ``width ** levels`` comparisons via aliases."""
    lines = [f"      any:\n        - any: &L1 [&C {COMPARISON}{', *C' * (width - 1)}]"]
    for level in range(2, levels + 1):
        lines.append(f"        - any: &L{level} [" + ", ".join(
            [f"{{any: *L{level - 1}}}"] * width) + "]")
    return RULE.format(when="\n".join(lines))


def test_an_alias_bomb_is_refused_at_once() -> None:
    started = time.perf_counter()
    with pytest.raises(PolicyFileError) as error:
        parse_rules(alias_bomb(levels=4), "bomb.yaml")
    assert time.perf_counter() - started < 0.5
    assert str(error.value) == ("bomb.yaml, line 6: anchors and aliases (&name, *name) are not "
                                "allowed in policy files; write each entry out, found '&L1'")


def test_an_alias_alone_is_refused_with_its_line() -> None:
    text = "a: 1\nb: [1, 2]\nc: *x\n"
    with pytest.raises(PolicyFileError, match=r"^f.yaml, line 3: anchors and aliases .* "
                                              r"found '\*x'$"):
        parse_yaml(text, "f.yaml")


def test_deep_nesting_is_refused_without_recursing() -> None:
    when = "      " + "{not: " * 3000 + COMPARISON + "}" * 3000
    with pytest.raises(PolicyFileError) as error:
        parse_rules(RULE.format(when=when), "deep.yaml")
    assert str(error.value) == f"deep.yaml, line 5: nested more than {DEPTH} levels deep"


def test_nesting_up_to_the_limit_is_read() -> None:
    lists = DEPTH - 1
    assert parse_yaml("[" * lists + "1" + "]" * lists, "f.yaml") is not None
    with pytest.raises(PolicyFileError, match=f"line 1: nested more than {DEPTH} levels"):
        parse_yaml("[" * DEPTH + "1" + "]" * DEPTH, "f.yaml")


@pytest.mark.parametrize(("text", "message"), [
    ('version: "1"\nversion: "2"\nrules: []\n',
     "f.yaml, line 2: duplicate key 'version' (first on line 1)"),
    ("rules:\n  - id: a\n    class: C\n    basis: b\n    class: D\n",
     "f.yaml, line 5: duplicate key 'class' (first on line 3)"),
    ("reason: {zh: 甲, en: a, zh: 乙}\n", "f.yaml, line 1: duplicate key 'zh' (first on line 1)"),
    ("flags:\n  yes: 1\n  true: 2\n", "f.yaml, line 3: duplicate key True (first on line 2)"),
    ("rule:\n  <<: {class: D}\n  class: A\n",
     "f.yaml, line 2: merge keys (<<) are not allowed in policy files; write each entry out"),
])
def test_a_duplicate_key_is_refused_naming_key_and_line(text: str, message: str) -> None:
    with pytest.raises(PolicyFileError) as error:
        parse_yaml(text, "f.yaml")
    assert str(error.value) == message


def test_a_duplicate_profile_is_refused(tmp_path: Path) -> None:
    text = PROFILES_FILE.read_text("utf-8")
    hohhot = text.index("  hohhot:")
    duplicated = tmp_path / "profiles.yaml"
    duplicated.write_text(text + text[hohhot:].replace("呼和浩特市", "另一个"), encoding="utf-8")
    first = text[:hohhot].count("\n") + 1
    with pytest.raises(PolicyFileError) as error:
        load_profiles(duplicated)
    assert str(error.value) == (f"{duplicated}, line {text.count(chr(10)) + 1}: duplicate key "
                                f"'hohhot' (first on line {first})")


def test_a_syntax_error_is_one_line_with_its_line() -> None:
    with pytest.raises(PolicyFileError) as error:
        parse_yaml("a: [1, 2\nb: 3\n", "f.yaml")
    assert "\n" not in str(error.value)
    assert str(error.value).startswith("f.yaml, line ")
    assert "not valid YAML" in str(error.value)


def test_a_file_not_in_utf8_names_the_encoding(tmp_path: Path) -> None:
    gbk = tmp_path / "rules.yaml"
    gbk.write_bytes(RULES_FILE.read_text("utf-8").encode("gbk"))
    with pytest.raises(PolicyFileError) as error:
        load_rules(gbk)
    assert str(error.value).startswith(f"{gbk}: not UTF-8 text (invalid byte 0x")
    assert str(error.value).endswith("); save the file as UTF-8")


def test_the_shipped_files_still_load() -> None:
    assert load_rules(RULES_FILE).rules
    assert load_profiles(PROFILES_FILE).profiles

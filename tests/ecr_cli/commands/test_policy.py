"""`ecr rules` and `ecr profiles` on hostile files: one error line, or the text shown as is."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ecr_cli.main import app
from models.policy.profiles import PROFILES_FILE
from models.policy.rules import RULES_FILE

runner = CliRunner(env={"COLUMNS": "200"})


def test_rules_in_another_encoding_is_one_error_line(tmp_path: Path) -> None:
    gbk = tmp_path / "rules.yaml"
    gbk.write_bytes(RULES_FILE.read_text("utf-8").encode("gbk"))
    result = runner.invoke(app, ["rules", str(gbk)], terminal_width=200)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {gbk}: not UTF-8 text (invalid byte 0x")
    assert result.stderr.endswith("save the file as UTF-8\n")
    assert result.stderr.count("\n") == 1


def test_rules_with_aliases_is_one_error_line(tmp_path: Path) -> None:
    bomb = tmp_path / "rules.yaml"
    bomb.write_text(RULES_FILE.read_text("utf-8").replace(
        "reason:\n      zh: 当前列入", "reason: &shared\n      zh: 当前列入", 1), encoding="utf-8")
    result = runner.invoke(app, ["rules", str(bomb)], terminal_width=200)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {bomb}, line 19: anchors and aliases")
    assert result.stderr.count("\n") == 1


def test_profiles_with_a_duplicate_key_is_one_error_line(tmp_path: Path) -> None:
    text = PROFILES_FILE.read_text("utf-8")
    duplicated = tmp_path / "profiles.yaml"
    duplicated.write_text(text.replace("default: henan\n", "default: henan\ndefault: hohhot\n"),
                          encoding="utf-8")
    line = text[:text.index("default: henan")].count("\n") + 1
    result = runner.invoke(app, ["profiles", str(duplicated)], terminal_width=200)
    assert result.exit_code == 2
    assert result.stderr == (f"error: {duplicated}, line {line + 1}: duplicate key 'default' "
                             f"(first on line {line})\n")


MARKUP_RULES = """version: '1.0[/]'
title: '[red]规则[/red]'
rules:
  - id: listed
    when: {feature: abnormal_listed_now, op: "==", value: 1}
    action: floor
    class: C
    reason: {zh: '[/]列入名录', en: 'listed [bold]now[/bold] :warning: \\'}
    basis: '[link=x]办法[/link] :x:'
    effective_from: 2023-01-01
"""


def test_rules_print_file_text_as_is(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(MARKUP_RULES, encoding="utf-8")
    result = runner.invoke(app, ["rules", str(rules)], terminal_width=200)
    assert result.exit_code == 0, result.output
    for text in ("Rules 1.0[/]+sha256:", "[red]规则[/red]", "[/]列入名录",
                 "listed [bold]now[/bold] :warning: \\ ", "[link=x]办法[/link] :x:"):
        assert text in result.output


def test_profiles_print_file_text_as_is(tmp_path: Path) -> None:
    text = PROFILES_FILE.read_text("utf-8")
    hostile = tmp_path / "profiles.yaml"
    for old, new in (("{label: B, zh: 信用风险一般,", "{label: '[/]B', zh: '[b]一般',"),
                     ("colour_name: 蓝色", "colour_name: ':x: 蓝色\\'"),
                     ("name: {zh: 河南省,", "name: {zh: '[/]河南省',")):
        text = text.replace(old, new)
    hostile.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["profiles", str(hostile)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "[/]河南省" in result.output
    assert result.output.count("[/]B [b]一般") == 2
    assert result.output.count(":x: 蓝色\\ ") == 2


def test_an_error_line_shows_the_file_text_as_is(tmp_path: Path) -> None:
    broken = tmp_path / "rules.yaml"
    broken.write_text(MARKUP_RULES.replace("action: floor", "action: ':x: [/]'"),
                      encoding="utf-8")
    result = runner.invoke(app, ["rules", str(broken)])
    assert result.exit_code == 2
    assert result.stderr.endswith("field 'action': Input should be 'force', 'floor' or 'cap' "
                                  "(found ':x: [/]')\n")

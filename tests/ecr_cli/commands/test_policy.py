"""`ecr rules` and `ecr profiles` on hostile files: one error line, or the text shown as is."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ecr_cli.main import app
from models.policy.profiles import PROFILES_FILE
from models.policy.rules import RULES_FILE

runner = CliRunner()


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

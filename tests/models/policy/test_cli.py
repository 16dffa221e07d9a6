"""`ecr rules` and `ecr profiles` check policy files before they are deployed."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ecr_cli.main import app
from models.policy.rules import RULES_FILE, shipped_rules

runner = CliRunner()


def test_rules_lists_the_shipped_rules() -> None:
    result = runner.invoke(app, ["rules"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert shipped_rules().version_id in result.output
    for rule in shipped_rules().rules:
        assert rule.id in result.output
    assert "fusion" in result.output


def test_rules_rejects_an_invalid_file(tmp_path: Path) -> None:
    broken = tmp_path / "rules.yaml"
    broken.write_text(RULES_FILE.read_text("utf-8").replace("action: cap", "action: ceiling"),
                      encoding="utf-8")
    result = runner.invoke(app, ["rules", str(broken)], terminal_width=200)
    assert result.exit_code == 2
    assert (f"{broken}: rule 'observation_period_new_enterprise', field 'action'"
            in " ".join(result.output.split()))


def test_profiles_lists_the_three_jurisdictions() -> None:
    result = runner.invoke(app, ["profiles"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "250/500/750" in result.output and "呼和浩特市" in result.output

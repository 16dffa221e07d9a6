"""`ecr explain` prints text from rules files, profiles and data as it is, never as markup."""

from __future__ import annotations

import datetime as dt

import pytest

from ecr_cli.commands.scoring import print_explanation
from models.explain.explanation import Explanation, Line
from models.policy.profiles import Profile, profile


def hostile_profile() -> Profile:
    data = profile("henan").model_dump()
    levels = list(data["levels"])
    levels[2] = levels[2] | {"label": "[/]C", "zh": "[b]较高", "en": "high \\"}
    return Profile.model_validate(data | {"levels": levels})


def test_explanation_prints_file_and_data_text_as_is(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    explanation = Explanation(
        uscc="[bold]91410100MA00000001", as_of=dt.date(2025, 12, 31), base_points=300.0,
        features=[Line("feature", "enterprise_type", "类型 [/]", "type [red]x[/red]", 12.0)],
        rules=[Line("rule", "listed", "至少 C", "at least C", 5.0, reason_zh="[/]列入",
                    reason_en="listed [i]now[/i] :x:")],
        model_score=600.0, final_score=605.0, risk_level="C", class_label="[/]C",
        profile=hostile_profile(), rules_version="1.0[/]+sha256:abc")
    print_explanation(explanation, top=6)
    shown = " ".join(capsys.readouterr().out.split())
    for text in ("[bold]91410100MA00000001 as of", "class [/]C [b]较高 / high \\, final",
                 "rules 1.0[/]+sha256:abc", "类型 [/] / type [red]x[/red]",
                 "listed: 至少 C / at least C — [/]列入 / listed [i]now[/i] :x: "):
        assert text in shown

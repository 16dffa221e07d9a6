"""`ecr history` and `ecr warnings` print stored text as it is, never as rich markup."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
from typer.testing import CliRunner

from ecr_cli.main import app
from serving.results.rows import StoredWarning
from serving.results.schema import RESULT_SCHEMA
from serving.results.store import ResultsStore

PERIOD = dt.date(2025, 12, 31)
USCC = "91410100MA00000001"
STORED_USCC = "[b]91410100MA00000002"
"""An identifier as stored, shown in the warnings."""
runner = CliRunner(env={"COLUMNS": "200"})


def published_store(url: str) -> None:
    """One published period whose stored text is all rich markup."""
    store = ResultsStore(url).migrate()
    run = store.begin_run(PERIOD, "monthly", "models:/m@champion", "m/[/]1", "r[/]1", "henan",
                          "sha256:data", "v1")
    row: dict[str, object] = {name: None for name in RESULT_SCHEMA.names} | {
        "uscc": USCC, "period": PERIOD, "model_score": 600.0, "final_score": 605.0,
        "model_level": "C", "risk_level": "C", "class_label": "[/]C",
        "fired_rules": "[i]listed[/i]", "base_points": 300.0, "factor_up_1": "[/]penalties",
        "points_up_1": 12.0, "input_fingerprint": "0" * 32, "model_version": "m/[/]1",
        "rules_version": "r[/]1"}
    store.write_results(run, pa.Table.from_pylist([row], schema=RESULT_SCHEMA))
    store.write_warnings(run, [StoredWarning(
        uscc=STORED_USCC, period=PERIOD, severity=3, action="[/]约谈", action_en="[red]interview",
        triggers=("[/]class rose :x:",), previous_level="A", risk_level="C")])
    store.publish(run)


def test_history_prints_stored_text_as_is(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/results.db"
    published_store(url)
    result = runner.invoke(app, ["history", USCC, "--database-url", url], terminal_width=200)
    assert result.exit_code == 0, result.output
    for text in (f"{USCC}: published classifications", "[/]C (C)", "[i]listed[/i]",
                 "[/]penalties +12.0", "m/[/]1 / r[/]1"):
        assert text in result.output


def test_warnings_print_stored_text_as_is(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/results.db"
    published_store(url)
    result = runner.invoke(app, ["warnings", "--as-of", str(PERIOD), "--database-url", url],
                           terminal_width=200)
    assert result.exit_code == 0, result.output
    for text in (f"Warnings, {PERIOD} (most severe first)", STORED_USCC, "[/]约谈 [red]interview",
                 "[/]class rose :x:"):
        assert text in result.output

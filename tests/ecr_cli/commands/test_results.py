"""`ecr results prune`: the retention setting or --keep, what is removed with counts that
reconcile, a dry run that changes nothing, one-line refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecr_cli.main import app
from serving.results.store import ResultsStore
from tests.serving.results.test_retention import CODES, DEC, NOV, OCT, SEP, classify, draw_on

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("ECR_RETENTION_PERIODS", raising=False)
    url = f"sqlite:///{tmp_path}/results.db"
    store = ResultsStore(url).migrate()
    draw_on(store, classify(store, SEP), SEP)
    classify(store, OCT, shift=5)
    classify(store, OCT)
    classify(store, NOV)
    classify(store, DEC)
    store.engine.dispose()
    return url


def test_prune_dry_run_then_the_setting(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    shown = runner.invoke(app, ["results", "prune", "--keep", "2", "--dry-run",
                                "--database-url", url])
    assert shown.exit_code == 0, shown.output
    assert "keeping the newest 2 published periods: 2025-11-30, 2025-12-31" in shown.output
    assert "kept 2025-09-30: a draw was made from it" in shown.output
    assert "would remove: 1 periods" in shown.output
    assert f"results: {5 * len(CODES)} before, {2 * len(CODES)} would remove, " \
           f"{3 * len(CODES)} after" in shown.output
    assert ResultsStore(url).periods() == [SEP, OCT, NOV, DEC]

    nothing = runner.invoke(app, ["results", "prune", "--database-url", url])
    assert nothing.exit_code == 0 and "no retention set" in nothing.output
    monkeypatch.setenv("ECR_RETENTION_PERIODS", "2")
    done = runner.invoke(app, ["results", "prune", "--database-url", url])
    assert done.exit_code == 0, done.output
    assert "removed: 1 periods" in done.output
    assert f"results: {5 * len(CODES)} before, {2 * len(CODES)} removed, " \
           f"{3 * len(CODES)} after" in done.output
    assert "warnings: 15 before, 6 removed, 9 after" in done.output
    assert ResultsStore(url).periods() == [SEP, NOV, DEC]


@pytest.mark.parametrize("value", ["0", "many"])
def test_a_bad_setting_is_one_line(url: str, monkeypatch: pytest.MonkeyPatch,
                                   value: str) -> None:
    monkeypatch.setenv("ECR_RETENTION_PERIODS", value)
    refused = runner.invoke(app, ["results", "prune", "--database-url", url])
    assert refused.exit_code == 2
    assert refused.output.startswith("error: retention_periods: ")
    assert f"found '{value}'" in refused.output and len(refused.output.splitlines()) == 1

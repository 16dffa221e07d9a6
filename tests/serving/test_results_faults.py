"""Faults of the results database (F14, F22, F23): read-only, locked, unknown driver or
unreachable — one `ResultsStoreError` naming the URL with its password masked; on the command
line one line and exit 2. A SQLite file the project creates is owner-only."""

from __future__ import annotations

import datetime as dt
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from ecr_cli.main import app
from serving.results.store import ResultsStore, ResultsStoreError, masked_url
from tests.serving.test_results_store import begin


def read_only(url: str) -> str:
    """The same database opened read-only."""
    if url.startswith("sqlite:///"):
        return f"sqlite:///file:{url.removeprefix('sqlite:///')}?mode=ro&uri=true"
    return url + "%20-cdefault_transaction_read_only%3Don"


def test_a_read_only_results_database_is_one_clear_error(database_url: str) -> None:
    ResultsStore(database_url).migrate().engine.dispose()
    store = ResultsStore(read_only(database_url)).migrate()
    with pytest.raises(ResultsStoreError, match=r"^results store .*read-?only") as caught:
        begin(store)
    assert "\n" not in str(caught.value)


def test_a_locked_results_database_is_one_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/results.db"
    ResultsStore(url).migrate().engine.dispose()
    holder = sqlite3.connect(tmp_path / "results.db")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(ResultsStoreError,
                           match=f"^results store {url}: database is locked$"):
            begin(ResultsStore(url))
    finally:
        holder.rollback()
        holder.close()


def test_passwords_are_masked_in_every_message() -> None:
    url = "postgresql+psycopg://ecr:s3cret@127.0.0.1:1/results"
    assert masked_url(url) == "postgresql+psycopg://ecr:***@127.0.0.1:1/results"
    with pytest.raises(ResultsStoreError) as caught:
        ResultsStore(url).migrate()
    assert "s3cret" not in str(caught.value)
    assert str(caught.value).startswith("results store postgresql+psycopg://ecr:***@127.0.0.1")
    with pytest.raises(ResultsStoreError, match=r"mysql://ecr:\*\*\*@db/results: cannot open "
                                                r"it: No module named"):
        ResultsStore("mysql://ecr:s3cret@db/results")


@pytest.mark.parametrize(("url", "shown"), [
    ("mysql://ecr:s3cret@db/results", "results store mysql://ecr:***@db/results: cannot open"),
    ("postgresql+psycopg://ecr:s3cret@127.0.0.1:1/results",
     "results store postgresql+psycopg://ecr:***@127.0.0.1:1/results:"),
])
def test_commands_name_an_unusable_database_in_one_line(url: str, shown: str) -> None:
    for command in (["history", "91350200776049653A"], ["warnings", "--as-of", "2025-12-31"]):
        result = CliRunner().invoke(app, [*command, "--database-url", url])
        assert result.exit_code == 2, result.output
        assert result.output.startswith(f"error: {shown}")
        assert result.output.count("\n") == 1 and "s3cret" not in result.output


def test_a_new_sqlite_results_database_is_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "made" / "here"
    store = ResultsStore(f"sqlite:///{folder}/results.db").migrate()
    store.publish(begin(store, dt.date(2025, 12, 31)))
    for path in folder.iterdir():  # results.db and its -wal and -shm
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert {p.name for p in folder.iterdir()} >= {"results.db", "results.db-wal"}
    for made in (folder, folder.parent):
        assert stat.S_IMODE(made.stat().st_mode) == 0o700, made


def test_the_tracking_url_is_shown_masked(postgres_url: str, tmp_path: Path) -> None:
    tracking = make_url(postgres_url).set(password="s3cret").render_as_string(
        hide_password=False)  # the test server's trust authentication ignores the password
    result = CliRunner().invoke(app, ["train", "--table", str(tmp_path / "missing.parquet"),
                                      "--tracking-uri", tracking], terminal_width=400)
    shown = "".join(result.output.split())
    masked = make_url(tracking).render_as_string(hide_password=True).split("?")[0]
    assert "***" in masked and f"tracking{masked}" in shown, result.output
    assert "s3cret" not in result.output

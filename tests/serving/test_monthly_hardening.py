"""The monthly run under hostile conditions (issue 13): a second writer, an ingest mid-run,
an MLflow store that refuses the record, meaningless dates, empty windows, a quote in the
store's path, and failures half-way."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import serving.use_cases.classify as classify_module
from ecr_cli.main import app
from features.coverage import DateOutsideData
from features.engines import compute_features
from features.ingest import ingest
from features.store import Store
from features.training_set import data_end, data_start
from models.policy.profiles import profile
from models.registry import LoadedModel, ModelRegistry
from serving.monthly.tracking import PeriodTracker
from serving.results.store import PeriodBusy, ResultsStore
from serving.use_cases import (
    InvalidRequest,
    classify_period,
    data_fingerprint,
    explain_enterprise,
    rescore,
    score_file,
)
from tests.conftest import Trained

NOVEMBER, DECEMBER = dt.date(2025, 11, 30), dt.date(2025, 12, 31)


def loaded(trained: Trained) -> LoadedModel:
    return ModelRegistry(trained.tracking_uri).load(trained.model_uri)


def cli_options(store: Store, trained: Trained, url: str) -> list[str]:
    return ["--store", str(store.root), "--model", trained.model_uri, "--database-url", url,
            "--tracking-uri", trained.tracking_uri]


def writing_runs(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        count = connection.exec_driver_sql(
            "SELECT count(*) FROM classification_runs WHERE status = 'writing'").scalar()
    engine.dispose()
    return count


def copy_store(store: Store, root: Path) -> Store:
    shutil.copytree(store.root, root)
    return Store(root)


def test_a_second_classify_of_a_period_is_refused_while_the_first_writes(
        synthetic_store: Store, trained: Trained, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/results.db"
    results = ResultsStore(url).migrate()
    model = loaded(trained)
    first = classify_period(synthetic_store, results, model, DECEMBER, profile())
    before = results.published_results(DECEMBER).drop_columns(["run_id"])
    second: list[object] = []

    def start_another(done: int, _total: int) -> None:
        if not second:  # while the first run is writing its first batch
            second.append(CliRunner().invoke(
                app, ["classify", "--as-of", str(DECEMBER), "--force",
                      *cli_options(synthetic_store, trained, url)]))

    forced = classify_period(synthetic_store, results, model, DECEMBER, profile(), force=True,
                             batch_rows=700, progress=start_another)
    refused = second[0]
    assert refused.exit_code == 2, refused.output
    assert f"error: {DECEMBER} is being written by run {forced.run.run_id}" in refused.output
    assert forced.run.status == "published" and forced.run.rows == before.num_rows
    assert results.published_run(DECEMBER).run_id == forced.run.run_id
    assert results.published_results(DECEMBER).drop_columns(["run_id"]).equals(before)
    assert results.run(first.run.run_id).status == "superseded"
    assert writing_runs(url) == 0


def test_two_classify_processes_of_one_period_one_is_refused_the_other_completes(
        synthetic_store: Store, trained: Trained, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/results.db"
    results = ResultsStore(url).migrate()
    command = [sys.executable, "-c", "from ecr_cli.main import app; app()", "classify",
               "--as-of", str(DECEMBER), "--batch-rows", "1",  # slow enough to overlap
               *cli_options(synthetic_store, trained, url)]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while first.poll() is None and writing_runs(url) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.poll() is None, f"the first run ended early: {first.stderr.read()!r}"
    with pytest.raises(PeriodBusy, match=f"{DECEMBER} is being written by run .* \\(pid "
                                         f"{first.pid} on "):
        classify_period(synthetic_store, results, loaded(trained), DECEMBER, profile())
    assert first.wait(timeout=300) == 0, first.stderr.read()
    run = results.published_run(DECEMBER)
    assert run is not None and run.rows == compute_features(synthetic_store, DECEMBER).num_rows
    assert results.published_results(DECEMBER).num_rows == run.rows
    assert writing_runs(url) == 0


def test_classify_during_an_ingest_records_one_store_version(
        synthetic_store: Store, trained: Trained, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = copy_store(synthetic_store, tmp_path / "store")
    started = store.version
    records = pq.read_table(store.table_path("records"))
    changed = records.slice(0, 1)
    changed = changed.set_column(changed.column_names.index("record_id"), "record_id",
                                 pa.array(["DURING-INGEST-1"]))
    (tmp_path / "new").mkdir()
    pq.write_table(changed, tmp_path / "new" / "records.parquet")
    real = classify_module.compute_features

    def ingest_meanwhile(pinned: Store, as_of: dt.date) -> pa.Table:
        ingest([tmp_path / "new"], Store(store.root), today=dt.date(2026, 11, 22))
        return real(pinned, as_of)

    monkeypatch.setattr(classify_module, "compute_features", ingest_meanwhile)
    results = ResultsStore(f"sqlite:///{tmp_path}/results.db").migrate()
    run = classify_period(store, results, loaded(trained), DECEMBER, profile()).run
    assert store.version != started  # the ingest published a new version mid-run
    assert run.store_version == started
    assert run.data_fingerprint == data_fingerprint(Store(store.root, started))
    assert run.data_fingerprint != data_fingerprint(store)


def test_a_failed_mlflow_record_leaves_the_period_published_and_says_so(
        synthetic_store: Store, trained: Trained, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> str:
        raise mlflow.exceptions.MlflowException("(sqlite3.OperationalError) attempt to write "
                                                "a readonly database")

    monkeypatch.setattr(PeriodTracker, "log_period", refuse)
    url = f"sqlite:///{tmp_path}/results.db"
    outcome = classify_period(synthetic_store, ResultsStore(url).migrate(), loaded(trained),
                              NOVEMBER, profile(),
                              tracker=PeriodTracker(ModelRegistry(trained.tracking_uri)))
    assert outcome.run.status == "published"
    assert outcome.tracking_error == ("MlflowException: (sqlite3.OperationalError) attempt to "
                                      "write a readonly database")
    result = CliRunner().invoke(app, ["classify", "--as-of", str(DECEMBER),
                                      *cli_options(synthetic_store, trained, url)],
                                terminal_width=200)
    assert result.exit_code == 3, result.output
    assert f"published {DECEMBER}:" in result.output
    assert "cannot load model" not in result.output
    warning = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and f"{DECEMBER} is published" in warning[0]
    assert "MLflow record failed: MlflowException" in warning[0]
    assert ResultsStore(url).published_run(DECEMBER) is not None


@pytest.mark.parametrize("when", ["2030-01-31", "1800-01-01", "9999-12-31", "0001-01-01"])
def test_dates_outside_the_stores_data_are_refused(
        synthetic_store: Store, trained: Trained, tmp_path: Path, when: str) -> None:
    date = dt.date.fromisoformat(when)
    side = "after the store's data ends" if date.year > 2000 else "before the store's data"
    results = ResultsStore(f"sqlite:///{tmp_path}/results.db").migrate()
    model = loaded(trained)
    with pytest.raises(DateOutsideData, match=f"--as-of {when} is {side}"):
        classify_period(synthetic_store, results, model, date, profile())
    with pytest.raises(DateOutsideData, match=f"--as-of {when} is {side}"):
        explain_enterprise(synthetic_store, model, "91350200776049653A", date, profile())
    if date.year > 2000:
        with pytest.raises(DateOutsideData, match=f"--as-of {when} is {side}"):
            rescore(synthetic_store, results, model, DECEMBER, date, profile())
    assert results.periods() == [] and writing_runs(results.url) == 0
    url = f"sqlite:///{tmp_path}/results.db"
    for command in (["classify", "--as-of", when, *cli_options(synthetic_store, trained, url)],
                    ["explain", "91350200776049653A", "--as-of", when, "--store",
                     str(synthetic_store.root), "--model", trained.model_uri,
                     "--tracking-uri", trained.tracking_uri],
                    ["features", "--as-of", when, "--store", str(synthetic_store.root),
                     "--out", str(tmp_path / "f.parquet")],
                    *([["rescore", "--since", str(DECEMBER), "--as-of", when,
                        *cli_options(synthetic_store, trained, url)]] if date.year > 2000
                      else [])):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr.startswith(f"error: --as-of {when} is {side}"), result.output
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    covered = f"covers {data_start(synthetic_store)} … {data_end(synthetic_store)}"
    assert covered in result.stderr


def test_rescore_of_a_window_without_records_records_an_empty_run(
        synthetic_store: Store, trained: Trained, tmp_path: Path) -> None:
    collected = set(pq.read_table(synthetic_store.table_path("records"),
                                  columns=["collected_on"])["collected_on"].to_pylist())
    quiet = next(day for day in (DECEMBER - dt.timedelta(days=n) for n in range(365))
                 if day not in collected)
    results = ResultsStore(f"sqlite:///{tmp_path}/results.db").migrate()
    outcome = rescore(synthetic_store, results, loaded(trained), quiet - dt.timedelta(days=1),
                      quiet, profile())
    assert outcome.rescored == 0 and outcome.warnings == []
    assert outcome.run.status == "recorded" and outcome.run.rows == 0
    assert writing_runs(results.url) == 0


def test_a_run_that_fails_half_way_leaves_nothing_writing(
        synthetic_store: Store, trained: Trained, tmp_path: Path) -> None:
    results = ResultsStore(f"sqlite:///{tmp_path}/results.db").migrate()

    def fail_after_first_batch(done: int, total: int) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        classify_period(synthetic_store, results, loaded(trained), DECEMBER, profile(),
                        batch_rows=700, progress=fail_after_first_batch)
    assert writing_runs(results.url) == 0 and results.published_run(DECEMBER) is None
    with results.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM results").scalar() == 0
    again = classify_period(synthetic_store, results, loaded(trained), DECEMBER, profile())
    assert again.run.status == "published"


def test_classify_and_rescore_on_a_store_whose_path_has_a_quote(
        synthetic_store: Store, trained: Trained, tmp_path: Path) -> None:
    store = copy_store(synthetic_store, tmp_path / "o'brien" / "store")
    results = ResultsStore(f"sqlite:///{tmp_path}/results.db").migrate()
    model = loaded(trained)
    november = classify_period(store, results, model, NOVEMBER, profile())
    assert november.run.rows > 0
    outcome = rescore(store, results, model, NOVEMBER, DECEMBER, profile())
    assert outcome.rescored > 0 and len(outcome.warnings) > 0


def test_explain_reads_the_code_without_spaces_and_case(
        synthetic_store: Store, trained: Trained) -> None:
    uscc = next(u for u in compute_features(synthetic_store, DECEMBER)["uscc"].to_pylist()
                if any(c.isalpha() for c in u))
    explanation = explain_enterprise(synthetic_store, loaded(trained), f"  {uscc.lower()} ",
                                     DECEMBER, profile())
    assert explanation.uscc == uscc


def test_score_refuses_to_write_over_its_input(trained: Trained, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "f.parquet"
    pq.write_table(trained.table.slice(0, 10), table)
    before = table.read_bytes()
    monkeypatch.chdir(tmp_path)
    for out in (table, Path("f.parquet"), Path("./sub/../f.parquet")):
        with pytest.raises(InvalidRequest, match="would replace the input"):
            score_file(loaded(trained), table, out, profile())
    assert table.read_bytes() == before
    scored = score_file(loaded(trained), table, tmp_path / "scored.parquet", profile())
    assert scored.rows == 10 and pc.max(scored.table["final_score"]).as_py() >= 0


@pytest.mark.parametrize("fault", ["read-only", "locked"])
def test_an_unwritable_results_database_is_one_line_and_exit_2(
        synthetic_store: Store, trained: Trained, tmp_path: Path, fault: str) -> None:
    path = tmp_path / "results.db"
    ResultsStore(f"sqlite:///{path}").migrate().engine.dispose()
    url = f"sqlite:///file:{path}?mode=ro&uri=true" if fault == "read-only" else \
        f"sqlite:///{path}"
    holder = sqlite3.connect(path)
    if fault == "locked":
        holder.execute("BEGIN EXCLUSIVE")
    try:
        commands = [["classify", "--as-of", str(DECEMBER)],
                    ["rescore", "--since", str(NOVEMBER), "--as-of", str(DECEMBER)]]
        for command in commands[: 2 if fault == "read-only" else 1]:
            result = CliRunner().invoke(app, [*command,
                                              *cli_options(synthetic_store, trained, url)])
            assert result.exit_code == 2, result.output
            expected = "attempt to write a readonly database" if fault == "read-only" else \
                "database is locked"
            assert result.stderr == f"error: results store {url}: {expected}\n"
    finally:
        holder.rollback()
        holder.close()
    assert writing_runs(f"sqlite:///{path}") == 0

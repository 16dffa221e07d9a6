"""The monthly run end to end on the synthetic province with a pipeline-trained model."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa
from typer.testing import CliRunner

from ecr_cli.main import app
from features.engines import compute_features
from features.ingest import ingest
from features.store import Store
from models.policy.profiles import profile
from models.registry import ModelRegistry
from serving.monthly.tracking import MONTHLY_EXPERIMENT, PeriodTracker
from serving.results.store import ResultsStore
from serving.use_cases import PeriodOutcome, classify_period, data_fingerprint, rescore
from tests.conftest import Trained

NOVEMBER, DECEMBER = dt.date(2025, 11, 30), dt.date(2025, 12, 31)


def classify(store: Store, results: ResultsStore, trained: Trained, period: dt.date,
             force: bool = False) -> PeriodOutcome:
    registry = ModelRegistry(trained.tracking_uri)
    return classify_period(store, results, registry.load(trained.model_uri), period, profile(),
                           force=force, tracker=PeriodTracker(registry), batch_rows=700)


def published(results: ResultsStore, period: dt.date) -> pa.Table:
    return results.published_results(period).drop_columns(["run_id"])


def test_two_months_published_with_analysis_warnings_and_regions(
    synthetic_store: Store, trained: Trained, tmp_path: Path
) -> None:
    results = ResultsStore(f"sqlite:///{tmp_path}/results.db").migrate()
    classify(synthetic_store, results, trained, NOVEMBER)
    outcome = classify(synthetic_store, results, trained, DECEMBER)
    alive = compute_features(synthetic_store, DECEMBER)
    stored = published(results, DECEMBER)
    assert stored.num_rows == alive.num_rows == outcome.run.rows
    assert stored["uscc"].to_pylist() == sorted(alive["uscc"].to_pylist())
    assert outcome.run.status == "published" and outcome.run.rules_version.startswith("2026")
    # every row carries its versions, a fingerprint and top factors
    assert pc.all(pc.equal(pc.utf8_length(stored["input_fingerprint"]), 32)).as_py()
    assert set(stored["model_version"].to_pylist()) == {outcome.run.model_version}
    assert set(stored["rules_version"].to_pylist()) == {trained.model.rules.version_id}
    assert stored["factor_up_1"].null_count < stored.num_rows
    listed = stored.filter(pc.match_substring(stored["fired_rules"], "serious_dishonesty_list"))
    assert listed.num_rows > 0 and set(listed["risk_level"].to_pylist()) == {"D"}
    analysis = results.analysis_of(outcome.run.run_id)
    assert analysis == outcome.analysis
    assert analysis.previous_enterprises > 0 and analysis.migration is not None
    moved = sum(sum(row.values()) for row in analysis.migration.values())
    assert moved == stored.num_rows + sum(analysis.migration[level]["gone"] for level in "ABCD")
    regions = results.region_risk_of(outcome.run.run_id)
    assert sum(r.enterprises for r in regions) == stored.num_rows
    counties = results.region_risk_of(outcome.run.run_id, "county")
    assert sum(r.enterprises for r in counties) == stored["county"].drop_null().length() > 0
    assert all(r.share_c_or_d_change is not None for r in regions if r.enterprises >= 30)
    assert results.warnings_of(outcome.run.run_id) == outcome.warnings
    assert {w.severity for w in outcome.warnings} <= {1, 2, 3, 4}
    client = mlflow.MlflowClient(trained.tracking_uri)
    logged = client.get_run(client.search_runs(
        [client.get_experiment_by_name(MONTHLY_EXPERIMENT).experiment_id],
        f"tags.`ecr.results_run_id` = '{outcome.run.run_id}'")[0].info.run_id)
    assert logged.data.metrics["enterprises"] == stored.num_rows
    assert "score_psi" in logged.data.metrics


def test_rerunning_a_period_is_idempotent(synthetic_store: Store, trained: Trained,
                                          tmp_path: Path) -> None:
    results = ResultsStore(f"sqlite:///{tmp_path}/results.db").migrate()
    first = classify(synthetic_store, results, trained, DECEMBER)
    again = classify(synthetic_store, results, trained, DECEMBER)
    assert again.unchanged and again.run.run_id == first.run.run_id
    before = published(results, DECEMBER)
    forced = classify(synthetic_store, results, trained, DECEMBER, force=True)
    assert forced.run.run_id != first.run.run_id
    assert published(results, DECEMBER).equals(before)
    assert results.run(first.run.run_id).status == "superseded"


def test_postgresql_and_sqlite_store_identical_results(
    synthetic_store: Store, trained: Trained, tmp_path: Path, postgres_url: str
) -> None:
    tables = []
    for url in (f"sqlite:///{tmp_path}/results.db", postgres_url):
        results = ResultsStore(url).migrate()
        classify(synthetic_store, results, trained, DECEMBER)
        tables.append(published(results, DECEMBER))
    sqlite, postgres = tables
    assert sqlite.num_rows > 0
    for name in sqlite.column_names:
        assert sqlite[name].to_pylist() == postgres[name].to_pylist(), name


def test_the_data_fingerprint_changes_when_a_record_changes(
    synthetic_store: Store, trained: Trained, tmp_path: Path
) -> None:
    copy = Store(tmp_path / "store")
    shutil.copytree(synthetic_store.root, copy.root)
    records = pq.read_table(synthetic_store.table_path("records"))
    penalties = records.filter(pc.equal(records["record_type"], "administrative_penalty"))
    changed = penalties.slice(0, 1)
    uscc = changed["uscc"][0].as_py()
    changed = changed.set_column(changed.column_names.index("record_id"), "record_id",
                                 pa.array(["CHANGED-0001"]))
    for column in ("occurred_on", "collected_on"):
        changed = changed.set_column(changed.column_names.index(column), column,
                                     pa.array([dt.date(2025, 12, 10)], pa.date32()))
    (tmp_path / "new").mkdir()
    pq.write_table(changed, tmp_path / "new" / "records.parquet")
    ingest([tmp_path / "new"], copy, today=dt.date(2026, 11, 22))
    assert data_fingerprint(copy) != data_fingerprint(synthetic_store)

    original = ResultsStore(f"sqlite:///{tmp_path}/a.db").migrate()
    updated = ResultsStore(f"sqlite:///{tmp_path}/b.db").migrate()
    classify(synthetic_store, original, trained, DECEMBER)
    outcome = classify(copy, updated, trained, DECEMBER)
    assert outcome.run.data_fingerprint == data_fingerprint(copy)
    before, after = (dict(zip(t["uscc"].to_pylist(), t["input_fingerprint"].to_pylist(),
                              strict=True))
                     for t in (published(original, DECEMBER), published(updated, DECEMBER)))
    assert before[uscc] != after[uscc]
    assert any(w.uscc == uscc and "penalty" in " ".join(w.triggers) for w in outcome.warnings)


def test_a_killed_run_leaves_the_published_period_intact(
    synthetic_store: Store, trained: Trained, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/results.db"
    results = ResultsStore(url).migrate()
    first = classify(synthetic_store, results, trained, DECEMBER)
    before = published(results, DECEMBER)
    command = [sys.executable, "-c", "from ecr_cli.main import app; app()", "classify",
               "--as-of", str(DECEMBER), "--force", "--batch-rows", "20", "--store",
               str(synthetic_store.root), "--model", trained.model_uri]
    environment = os.environ | {"DATABASE_URL": url,
                                "MLFLOW_TRACKING_URI": trained.tracking_uri}
    child = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    engine = sa.create_engine(url)
    deadline = time.monotonic() + 120
    killed_at = None
    while time.monotonic() < deadline and child.poll() is None:
        with engine.connect() as connection:
            written = connection.exec_driver_sql(
                "SELECT rows FROM classification_runs WHERE status = 'writing'").scalar()
        if written:
            child.send_signal(signal.SIGKILL)
            killed_at = written
            break
        time.sleep(0.02)
    child.wait()
    engine.dispose()
    assert killed_at, f"the run finished before it could be killed: {child.stderr.read()!r}"
    assert child.returncode == -signal.SIGKILL
    assert results.published_run(DECEMBER).run_id == first.run.run_id
    assert published(results, DECEMBER).equals(before)
    rerun = classify(synthetic_store, results, trained, DECEMBER, force=True)
    assert rerun.run.status == "published"
    assert published(results, DECEMBER).equals(before)
    with sa.create_engine(url).connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT count(*) FROM classification_runs WHERE status = 'writing'").scalar() == 0
        rows = connection.exec_driver_sql("SELECT count(*) FROM results").scalar()
    assert rows == 2 * before.num_rows  # the superseded run and the new one; nothing stale


def test_rescore_between_monthly_runs(synthetic_store: Store, trained: Trained,
                                      tmp_path: Path) -> None:
    results = ResultsStore(f"sqlite:///{tmp_path}/results.db").migrate()
    classify(synthetic_store, results, trained, NOVEMBER)
    outcome = rescore(synthetic_store, results,
                      ModelRegistry(trained.tracking_uri).load(trained.model_uri), NOVEMBER,
                      DECEMBER, profile())
    records = pq.read_table(synthetic_store.table_path("records"))
    window = records.filter(pc.and_(pc.greater(records["collected_on"], NOVEMBER),
                                    pc.less_equal(records["collected_on"], DECEMBER)))
    alive = set(compute_features(synthetic_store, DECEMBER)["uscc"].to_pylist())
    touched = set(window["uscc"].to_pylist()) & alive
    assert outcome.rescored == len(touched) > 0
    assert outcome.run.kind == "rescore" and outcome.run.status == "recorded"
    assert set(results.results_of(outcome.run.run_id)["uscc"].to_pylist()) == touched
    assert {w.uscc for w in outcome.warnings} <= touched
    assert len(results.warnings_of(outcome.run.run_id)) == len(outcome.warnings) > 0
    assert results.published_run(NOVEMBER) is not None
    assert results.published_run(DECEMBER) is None  # a rescore never publishes a period


def test_commands_classify_list_warnings_and_show_history(
    synthetic_store: Store, trained: Trained, tmp_path: Path
) -> None:
    runner = CliRunner()
    common = ["--store", str(synthetic_store.root), "--model", trained.model_uri,
              "--database-url", f"sqlite:///{tmp_path}/results.db",
              "--tracking-uri", trained.tracking_uri]
    for period in (NOVEMBER, DECEMBER):
        result = runner.invoke(app, ["classify", "--as-of", str(period), *common],
                               terminal_width=200)
        assert result.exit_code == 0, result.output
    assert "published 2025-12-31" in result.output and "rose" in result.output
    again = runner.invoke(app, ["classify", "--as-of", str(DECEMBER), *common])
    assert "nothing to do" in " ".join(again.output.split())
    database = ["--database-url", f"sqlite:///{tmp_path}/results.db"]
    ids = runner.invoke(app, ["warnings", "--as-of", str(DECEMBER), "--ids-only",
                              "--limit", "3", *database]).output.split()
    assert len(ids) == 3
    history = runner.invoke(app, ["history", ids[0], *database], terminal_width=200)
    assert history.exit_code == 0 and "2025-11-30" in history.output
    assert "2025-12-31" in history.output
    unknown = runner.invoke(app, ["history", "91350200776049653A", *database])
    assert unknown.exit_code == 2 and "no published classification" in unknown.output


def test_an_unusable_results_store_is_a_one_line_error() -> None:
    result = CliRunner().invoke(app, ["history", "91350200776049653A",
                                      "--database-url", "nonsense://"])
    assert result.exit_code == 2
    assert "results store nonsense://: cannot open it" in result.output

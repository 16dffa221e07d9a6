"""End to end through the CLI: train → register → promote → load by alias → score.

A bring-your-own table (mixed types, missing values, no time column) is trained twice with the
same seed; the synthetic store is trained out of time with tuning and the scorecard baseline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from mlflow.tracking import MlflowClient
from mlflow.types.schema import AnyType
from typer.testing import CliRunner

from ecr_cli.main import app
from ecr_settings import Settings
from features.store import Store
from models.classification import OUTPUT_COLUMNS
from models.policy.rules import shipped_rules
from models.registry import CHAMPION_URI, REGISTERED_MODEL, ModelRegistry
from models.risk_model import RiskModel

runner = CliRunner()


def load_risk_model(uri: str) -> RiskModel:
    """The scoring chain behind ``uri`` in the tracking store the environment names."""
    return ModelRegistry(Settings().tracking_uri).load(uri).model


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.stdout


def byo_table(rows: int, seed: int) -> pa.Table:
    """Numbers, integers, text categories and gaps; the outcome depends on all three kinds."""
    rng = np.random.default_rng(seed)
    amount = rng.normal(size=rows)
    visits = rng.poisson(2, rows)
    sector = rng.choice(["farm", "shop", "plant", "bank"], rows)
    logit = -2.2 + 1.1 * amount + 0.35 * visits + np.where(sector == "plant", 1.0, 0.0)
    target = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    amount[rng.random(rows) < 0.1] = np.nan
    sector_values = [None if rng.random() < 0.05 else s for s in sector]
    return pa.table({"record": [f"row-{i}" for i in range(rows)], "amount": amount,
                     "visits": visits, "sector": sector_values, "target": target})


@pytest.fixture(scope="module")
def tracking(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("mlflow")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{folder}/mlflow.db")
        yield folder


@pytest.fixture(scope="module")
def byo(tracking: Path) -> dict[str, object]:
    """The bring-your-own table trained twice with the same seed, then version 1 promoted."""
    table_file = tracking / "byo.csv"
    pcsv.write_csv(byo_table(4000, seed=1), table_file)
    lines = [invoke("train", "--table", str(table_file), "--label", "target",
                    "--id-column", "record", "--trials", "2", "--seed", "5",
                    "--no-baseline").strip().splitlines()[-1] for _ in range(2)]
    promoted = invoke("promote", "1")
    return {"table": table_file, "last_lines": lines, "promoted": promoted}


def test_train_prints_run_id_and_model_uri_last(byo: dict[str, object]) -> None:
    first, second = byo["last_lines"]  # type: ignore[misc]
    run_id, uri = first.split()
    assert uri == f"models:/{REGISTERED_MODEL}/1" and second.endswith(f"{REGISTERED_MODEL}/2")
    run = MlflowClient().get_run(run_id)
    assert run.data.tags["ecr.model_type"] == "lightgbm"
    assert run.data.params["protocol_kind"] == "stratified"
    assert {"test_roc_auc", "test_ks", "test_gini", "test_brier", "test_log_loss", "test_ece",
            "psi_train_test", "test_share_A", "test_outcome_rate_A"} <= set(run.data.metrics)
    trials = mlflow.search_runs(experiment_ids=[run.info.experiment_id],
                                filter_string=f"tags.mlflow.parentRunId = '{run_id}'")
    assert len(trials) == 2
    artifacts = {a.path for a in MlflowClient().list_artifacts(run_id)}
    assert {"feature_catalog.json", "figures", "class_table_test.json"} <= artifacts
    figures = {a.path for a in MlflowClient().list_artifacts(run_id, "figures")}
    assert {"figures/calibration_test.png", "figures/roc_test.png",
            "figures/outcome_rate_by_class.png", "figures/shap_summary_points_test.png",
            "figures/shap_summary_log_odds_test.png"} <= figures
    explained = {a.path for a in MlflowClient().list_artifacts(run_id, "explanations")}
    assert explained == {"explanations/mean_abs_points_by_feature.json",
                         "explanations/mean_abs_points_by_dimension.json"}
    assert run.data.metrics["explanation_base_points"] > 0


def test_same_seed_gives_the_identical_model(byo: dict[str, object]) -> None:
    one = load_risk_model(f"models:/{REGISTERED_MODEL}/1")
    two = load_risk_model(f"models:/{REGISTERED_MODEL}/2")
    assert one.booster.model_to_string() == two.booster.model_to_string()
    assert one.calibrator == two.calibrator and one.score_map == two.score_map


def test_score_by_alias_round_trip(byo: dict[str, object], tracking: Path) -> None:
    new_rows = byo_table(500, seed=2).drop_columns(["target"])
    scoring = tracking / "new.parquet"
    pq.write_table(new_rows, scoring)
    out = tracking / "scored.csv"
    invoke("score", "--table", str(scoring), "--out", str(out), "--keep", "record")
    scored = pcsv.read_csv(out)
    assert scored.column_names == ["record", *OUTPUT_COLUMNS]
    assert scored["record"].to_pylist() == new_rows["record"].to_pylist()
    model = load_risk_model(CHAMPION_URI)
    assert model.rules.version_id == "none"  # the table has none of the rules' features
    expected = model.predict(new_rows)
    assert np.allclose(scored["model_score"].to_numpy(), expected["model_score"].to_numpy())
    assert scored["final_score"].equals(scored["model_score"])
    assert scored["class_label"].to_pylist() == expected["model_level"].to_pylist()
    assert set(scored["fired_rules"].to_pylist()) <= {"", None}
    pyfunc = mlflow.pyfunc.load_model(CHAMPION_URI).predict(new_rows.to_pandas())
    assert np.allclose(pyfunc["probability"], expected["probability"].to_numpy())


def test_the_signature_admits_gaps_in_integer_columns(byo: dict[str, object]) -> None:
    """A row with no value in an integer column (JSON null, as `mlflow models serve` reads
    it) is scored with that value missing, as the model itself reads it."""
    rows = byo_table(20, seed=3).drop_columns(["target"]).to_pandas()
    assert rows["visits"].dtype == np.int64
    gappy = rows.astype({"visits": "float64"})
    gappy.loc[::2, "visits"] = np.nan
    served = mlflow.pyfunc.load_model(CHAMPION_URI)
    assert served.metadata.get_input_schema().input_dict()["visits"].type == AnyType()
    expected = load_risk_model(CHAMPION_URI).predict(pa.Table.from_pandas(gappy))
    assert np.allclose(served.predict(gappy)["probability"],
                       expected["probability"].to_numpy())
    assert np.allclose(served.predict(rows)["probability"],
                       load_risk_model(CHAMPION_URI).predict(rows)["probability"].to_numpy())


def test_promotion_moves_the_alias(byo: dict[str, object]) -> None:
    client = MlflowClient()
    assert "(none) → 1" in byo["promoted"]  # type: ignore[operator]
    assert str(client.get_model_version_by_alias(REGISTERED_MODEL, "champion").version) == "1"
    assert "version 1 → 2" in invoke("promote", "2")
    assert str(client.get_model_version_by_alias(REGISTERED_MODEL, "champion").version) == "2"
    invoke("promote", "1")


def test_unknown_version_and_bad_label_fail_clearly(byo: dict[str, object],
                                                    tracking: Path) -> None:
    result = runner.invoke(app, ["promote", "99"])
    assert result.exit_code == 2 and "cannot promote version '99'" in result.output
    bad = tracking / "bad.csv"
    bad.write_text("amount,target\n1.0,0\n2.0,2\n")
    result = runner.invoke(app, ["train", "--table", str(bad), "--label", "target"])
    assert result.exit_code == 2
    assert f"{bad}: row 2, column 'target': expected 0 or 1, found 2" in result.output


def test_runs_lists_recent_runs(byo: dict[str, object]) -> None:
    output = invoke("runs")
    assert "lightgbm" in output and "AUC" in output


def test_store_mode_out_of_time_with_tuning_and_baseline(
    synthetic_store: Store, tracking: Path
) -> None:
    training_set = tracking / "training-set.parquet"
    output = invoke("train", "--store", str(synthetic_store.root), "--training-set",
                    str(training_set), "--embargo", "3", "--trials", "2",
                    "--run-name", "store-mode")
    run_id, uri = output.strip().splitlines()[-1].split()
    run = MlflowClient().get_run(run_id)
    params = run.data.params
    assert params["protocol_kind"] == "out-of-time" and params["protocol_embargo"] == "3"
    last_train = dt.date.fromisoformat(params["protocol_final_train_periods"].split(" … ")[1])
    first_test = dt.date.fromisoformat(params["protocol_test_periods"].split(" … ")[0])
    assert (first_test.year - last_train.year) * 12 + first_test.month - last_train.month >= 3
    assert int(params["protocol_folds"]) == 3
    assert run.data.tags["ecr.store_version"] == synthetic_store.version
    assert {"test_roc_auc_lift_over_baseline", "test_roc_auc_lift_over_lightgbm_default",
            "test_distinct_score_share", "cv_rounds"} <= set(run.data.metrics)
    baseline = mlflow.search_runs(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"tags.`ecr.compared_with` = '{run_id}'")
    assert sorted(baseline["tags.ecr.model_type"]) == ["lightgbm_default", "woe_scorecard"]
    model = load_risk_model(uri)
    assert model.spec.monotone[model.spec.names.index("penalties_12m")] == 1
    assert run.data.tags["ecr.rules_version"] == shipped_rules().version_id
    assert model.rules.version_id == shipped_rules().version_id
    assert "rules/rules.yaml" in {a.path for a in MlflowClient().list_artifacts(run_id, "rules")}
    shares = [run.data.metrics[f"test_after_rules_share_{c}"] for c in "ABCD"]
    assert abs(sum(shares) - 1) < 1e-9
    snapshots = set(pq.read_table(training_set, columns=["as_of"])["as_of"].unique()
                    .to_pylist())
    assert last_train in snapshots and first_test in snapshots

    out = tracking / "classified-hohhot.parquet"
    invoke("score", "--table", str(training_set), "--out", str(out), "--model", uri,
           "--profile", "hohhot", "--keep", "uscc")
    classified = pq.read_table(out).to_pandas()
    features = pq.read_table(training_set).to_pandas()
    in_effect = features["as_of"] >= dt.date(2022, 1, 1)  # the shipped rules' effective_from
    listed = (features["serious_dishonesty_now"].to_numpy() == 1) & in_effect.to_numpy()
    assert listed.any() and (classified["risk_level"][listed] == "D").all()
    assert (classified["final_score"][listed] >= 750).all()
    reversed_labels = dict(zip("ABCD", "DCBA", strict=True))
    assert (classified["class_label"] == classified["risk_level"].map(reversed_labels)).all()
    assert pq.read_schema(out).metadata[b"ecr.rules_version"].decode() == model.rules.version_id

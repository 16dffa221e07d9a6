"""`ecr train`: split, tune, fit, calibrate, map to 0–1000, evaluate, log and register.

One call produces two MLflow runs on the same split: the LightGBM model (with one nested run
per tuning trial) and the WOE scorecard baseline, so every model is read beside the classic one.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import lightgbm as lgb
import mlflow
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
from mlflow.models import infer_signature

from features.catalog import BY_NAME
from models.calibration import Calibrator
from models.classification import classification_frame, classify
from models.feature_frame import FeatureSpec
from models.pyfunc import ARTIFACT_KEY, ENTRY_POINT
from models.registry import MANIFEST_TAG, REGISTERED_MODEL, owner_only
from models.risk_model import RiskModel, manifest_sha256
from models.score_map import ScoreMap
from training.booster import DEFAULT_PARAMS, datasets, default_threads, fit, fixed_params
from training.calibrate import choose_calibrator
from training.class_policy import ClassPolicy
from training.evaluation import Evaluation, evaluate_chain
from training.figures import (
    calibration_figure,
    class_rate_figure,
    log_figure,
    roc_figure,
)
from training.global_explanation import log_global_explanation
from training.rules_effect import log_rules_effect, resolve_rules
from training.scorecard import fit_scorecard
from training.split import Split, out_of_time_split, stratified_split
from training.table import (
    FeatureTable,
    TableError,
    feature_columns,
    identifier_columns,
    label_vector,
    read_table,
    require_varying,
    time_column,
)
from training.tuning import tune

MODEL_PACKAGES = ("enterprise-credit-risk", "lightgbm", "mlflow", "numpy", "pandas", "pyarrow",
                  "scikit-learn")


@dataclass(frozen=True)
class TrainConfig:
    table: Path
    label: str = "adverse"
    time_column: str | None = "as_of"
    """The out-of-time split's period column; a named column must exist, except the default
    ``as_of``, without which the split is stratified (and the run says so)."""
    id_columns: tuple[str, ...] = ("uscc",)
    exclude: tuple[str, ...] = ()
    test_periods: int = 3
    valid_periods: int = 3
    train_periods: int | None = 12
    """The latest eligible periods to train on; None or 0 for all."""
    embargo: int | None = None
    """Months (periods for non-date times) between training and validation; None: the
    outcome horizon recorded in the table, else 0."""
    valid_share: float = 0.2
    test_share: float = 0.2
    trials: int | None = 0
    timeout: float | None = None
    seed: int = 7
    threads: int | None = None
    policy: ClassPolicy = field(default_factory=ClassPolicy)
    baseline: bool = True
    register: bool = True
    run_name: str | None = None
    rules: Path | None = None
    """Rules file bundled with the model; None: the shipped rules, or none when the table lacks
    the catalog features they read (a bring-your-own table)."""
    use_rules: bool = True


@dataclass
class TrainResult:
    run_id: str
    model_uri: str
    version: str | None
    metrics: dict[str, float]
    test_classes: pd.DataFrame
    """Share of enterprises and observed outcome rate per class on the test rows."""
    baseline_run_id: str | None = None
    baseline_metrics: dict[str, float] = field(default_factory=dict)
    model: RiskModel | None = None
    split: Split | None = None


Report = Callable[[str], None]


def make_split(data: FeatureTable, y: npt.NDArray, config: TrainConfig) -> Split:
    time = time_column(data, config.time_column)
    if time:
        embargo = config.embargo
        if embargo is None:
            embargo = int(data.metadata.get("ecr.horizon_months", 0))
        return out_of_time_split(data.table[time], config.test_periods, config.valid_periods,
                                 embargo, config.train_periods)
    return stratified_split(y, config.valid_share, config.test_share, config.seed)


def catalog_entries(names: list[str]) -> list[dict[str, Any]]:
    """The catalog rows of the model's features (bring-your-own columns have none)."""
    entries = []
    for name in names:
        f = BY_NAME.get(name)
        entries.append({"name": name, "zh": f.zh, "en": f.en, "dimension": str(f.dimension),
                        "direction": f.direction, "unit": str(f.unit)} if f else
                       {"name": name})
    return entries


def calibrate_and_map(
    raw: npt.NDArray, y: npt.NDArray, split: Split, periods: npt.NDArray | None,
    config: TrainConfig,
) -> tuple[Calibrator, dict[str, float], ScoreMap]:
    """Calibrator chosen on the validation rows; the score map from the class policy."""
    groups = periods[split.valid] if periods is not None else None
    choice = choose_calibrator(raw[split.valid], y[split.valid], groups, config.seed)
    test_probability = choice.calibrator.probability(raw[split.test])
    if periods is not None:
        latest = periods[split.test] == periods[split.test].max()
        reference = test_probability[latest]
    else:
        reference = test_probability
    return choice.calibrator, choice.cv_log_loss, config.policy.score_map(reference)


def train(config: TrainConfig, report: Report = print) -> TrainResult:
    """Train, evaluate, log and register; the caller has configured MLflow. Every file the
    run writes (MLflow's artifacts, with real feature rows) is owner-only."""
    with owner_only():
        return _train(config, report)


def _train(config: TrainConfig, report: Report) -> TrainResult:
    data = read_table(config.table)
    y = label_vector(data, config.label)
    time = time_column(data, config.time_column)
    if config.time_column and time is None:
        report(f"note: no {config.time_column!r} column: the split is stratified, not out of "
               "time")
    reserved = [config.label, *([time] if time else []), *config.id_columns]
    names, ignored = feature_columns(data, reserved, config.exclude)
    if ignored:
        report(f"note: not used as features: {', '.join(ignored)}")
    for name in identifier_columns(data, names):
        names.remove(name)
        report(f"note: column {name!r} looks like an identifier (nearly every value distinct); "
               "not used as a feature (--id-column names it, --exclude silences this)")
    if not names:
        raise TableError(f"{config.table}: no feature columns left after the label, time, id, "
                         "excluded and identifier-like columns")
    require_varying(data, names)
    spec = FeatureSpec.from_catalog(data.table, names)
    rules = resolve_rules(config.rules, config.use_rules, data.table.column_names, report)
    split = make_split(data, y, config)
    for key, value in split.describe().items():
        report(f"  {key}: {value}")
    x = spec.matrix(data.table, str(config.table))
    periods = (np.asarray(data.table[time].to_numpy()) if time else None)
    threads = config.threads or default_threads()
    fixed = fixed_params(spec, config.seed, threads)
    train_set, valid_set = datasets(x, y, spec, split.train, split.valid)

    with mlflow.start_run(run_name=config.run_name) as run:
        mlflow.set_tags({"ecr.kind": "model", "ecr.model_type": "lightgbm",
                         "ecr.label": config.label, "ecr.rules_version": rules.version_id,
                         **_prefixed(data.fingerprint, "ecr.")})
        mlflow.log_params({**{f"split_{k}": v for k, v in split.describe().items()},
                           "features": len(names), "categorical": len(spec.levels),
                           "seed": config.seed, "threads": threads,
                           "class_policy": config.policy.describe()})
        params = dict(DEFAULT_PARAMS)
        if config.trials or config.timeout:
            tuning = tune(train_set, valid_set, fixed, config.seed, config.trials,
                          config.timeout, on_trial=lambda t: report(
                              f"  trial {t.number}: {t.state.name.lower()}"
                              + (f", valid log loss {t.value:.5f}" if t.value is not None else "")))
            params |= tuning.params
            mlflow.log_metrics({"tuning_trials": tuning.trials,
                                "tuning_pruned": tuning.pruned,
                                "tuning_best_valid_log_loss": tuning.best_value})
        fitted = fit(train_set, valid_set, fixed | params)
        mlflow.log_params({f"lgbm_{k}": v for k, v in params.items()}
                          | {"best_iteration": fitted.best_iteration})
        raw = fitted.booster.predict(x, raw_score=True)
        calibrator, cv_losses, score_map = calibrate_and_map(raw, y, split, periods, config)
        mlflow.log_params({"calibration": calibrator.method,
                           "score_thresholds": ",".join(f"{t:.6g}" for t in
                                                        score_map.thresholds)})
        mlflow.log_metrics({f"calibration_cv_log_loss_{k}": v for k, v in cv_losses.items()})
        evaluation = evaluate_chain(raw, y, split, calibrator, score_map)
        mlflow.log_metrics(evaluation.metrics)
        model = RiskModel(fitted.booster, spec, calibrator, score_map, metadata={
            "label": config.label, "training_run_id": run.info.run_id,
            "params": fixed | params, "best_iteration": fitted.best_iteration,
            "class_policy": config.policy.describe(), "data": data.fingerprint,
            "lightgbm": lgb.__version__, "rules_version": rules.version_id,
        }, rules=rules)
        _log_run_artifacts(model, evaluation, x, split, names)
        if rules.rules:
            log_rules_effect(model, data.table.take(split.test),
                             score_map.score(evaluation.test_probability), y[split.test])
        example = data.table.select([*names, *(["as_of"] if rules.rules else [])])
        info = _log_model(model, example.slice(0, 5))
        report(f"LightGBM: test ROC AUC {evaluation.metrics.get('test_roc_auc', float('nan')):.4f}"
               f", ECE {evaluation.metrics['test_ece']:.4f}, calibration {calibrator.method}")

    result = TrainResult(run.info.run_id, info.model_uri, None, evaluation.metrics,
                         evaluation.test_classes, model=model, split=split)
    try:
        if config.baseline:
            result.baseline_run_id, result.baseline_metrics = _baseline_run(
                data, y, spec, split, periods, config, evaluation, run.info.run_id, report)
    except BaseException:
        mlflow.MlflowClient().set_terminated(run.info.run_id, "FAILED")
        raise
    if config.register:  # last: a run that failed anywhere above registers nothing
        registered = mlflow.register_model(info.model_uri, REGISTERED_MODEL)
        result.version = str(registered.version)
        result.model_uri = f"models:/{REGISTERED_MODEL}/{result.version}"
        mlflow.MlflowClient().set_tag(run.info.run_id, "ecr.registered_version",
                                      result.version)
    return result


def _baseline_run(
    data: FeatureTable, y: npt.NDArray, spec: FeatureSpec, split: Split,
    periods: npt.NDArray | None, config: TrainConfig, booster_eval: Evaluation,
    booster_run: str, report: Report,
) -> tuple[str, dict[str, float]]:
    """Fit the WOE scorecard on the same split and log it as its own run."""
    frame = _frame(data.table, spec)
    scorecard = fit_scorecard(frame.iloc[split.train], y[split.train], spec, config.seed)
    raw = scorecard.raw_logit(frame)
    calibrator, cv_losses, score_map = calibrate_and_map(raw, y, split, periods, config)
    evaluation = evaluate_chain(raw, y, split, calibrator, score_map)
    with mlflow.start_run(run_name=f"scorecard-baseline-{booster_run[:8]}") as run:
        mlflow.set_tags({"ecr.kind": "model", "ecr.model_type": "woe_scorecard",
                         "ecr.compared_with": booster_run, "ecr.label": config.label,
                         **_prefixed(data.fingerprint, "ecr.")})
        mlflow.log_params({**{f"split_{k}": v for k, v in split.describe().items()},
                           "features": len(spec.names), "calibration": calibrator.method,
                           "class_policy": config.policy.describe(),
                           "selected_features": len(scorecard.regression.coef_[0])})
        mlflow.log_metrics(evaluation.metrics
                           | {f"calibration_cv_log_loss_{k}": v for k, v in cv_losses.items()})
        mlflow.log_table(scorecard.summary(), "scorecard_binning.json")
        log_figure(class_rate_figure({"scorecard": evaluation.test_classes}),
                    "figures/outcome_rate_by_class.png", run.info.run_id)
    auc = evaluation.metrics.get("test_roc_auc", float("nan"))
    lift = booster_eval.metrics.get("test_roc_auc", float("nan")) - auc
    client = mlflow.MlflowClient()
    client.log_metric(booster_run, "baseline_test_roc_auc", auc)
    client.log_metric(booster_run, "test_roc_auc_lift_over_baseline", lift)
    curves = {"LightGBM": (booster_eval.test_outcome, booster_eval.test_probability),
              "WOE scorecard": (evaluation.test_outcome, evaluation.test_probability)}
    log_figure(roc_figure(curves), "figures/roc_vs_baseline.png", booster_run)
    log_figure(class_rate_figure(
        {"LightGBM": booster_eval.test_classes, "WOE scorecard": evaluation.test_classes}),
        "figures/outcome_rate_by_class_vs_baseline.png", booster_run)
    report(f"WOE scorecard: test ROC AUC {auc:.4f}, ECE {evaluation.metrics['test_ece']:.4f}; "
           f"LightGBM lift {lift:+.4f}")
    return run.info.run_id, evaluation.metrics


def _frame(table: pa.Table, spec: FeatureSpec) -> pd.DataFrame:
    """Feature columns as pandas for optbinning: numbers as float, categories as text."""
    frame = pd.DataFrame(index=range(table.num_rows))
    for name in spec.names:
        column = table[name]
        if name in spec.levels:
            frame[name] = np.asarray(column.cast(pa.string()).to_pylist(), dtype=object)
        else:
            frame[name] = column.cast(pa.float64()).to_numpy()
    return frame


def _prefixed(values: dict[str, str], prefix: str) -> dict[str, str]:
    return {f"{prefix}{k}": v for k, v in values.items()}


def _log_run_artifacts(
    model: RiskModel, evaluation: Evaluation, x: npt.NDArray, split: Split, names: list[str]
) -> None:
    """Catalog, class table, importance, calibration and figures of the booster's run."""
    mlflow.log_dict({"features": catalog_entries(names)}, "feature_catalog.json")
    mlflow.log_dict({"calibrator": model.calibrator.to_dict(),
                     "score_map": model.score_map.to_dict()}, "scoring_chain.json")
    mlflow.log_table(evaluation.test_classes.reset_index(), "class_table_test.json")
    importance = pd.DataFrame({
        "feature": names,
        "gain": model.booster.feature_importance("gain"),
        "splits": model.booster.feature_importance("split"),
    }).sort_values("gain", ascending=False)
    mlflow.log_table(importance, "feature_importance.json")
    curve = {"LightGBM": (evaluation.test_outcome, evaluation.test_probability)}
    log_figure(calibration_figure(curve), "figures/calibration_test.png")
    log_figure(class_rate_figure({"LightGBM": evaluation.test_classes}),
                "figures/outcome_rate_by_class.png")
    if 0 < evaluation.test_outcome.sum() < evaluation.test_outcome.size:
        log_figure(roc_figure(curve), "figures/roc_test.png")
    log_global_explanation(model, x[split.test])


def _log_model(model: RiskModel, example: pa.Table) -> Any:
    """Log the pyfunc (booster, calibrator, score map, catalog inside), unregistered."""
    example_frame = example.to_pandas()
    with warnings.catch_warnings():
        # MLflow hints that integer columns cannot hold missing values; the signature records
        # the training table's own types, and the model itself reads gaps in any column.
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        signature = infer_signature(
            example_frame, classification_frame(classify(model, example).to_arrow()))
    with tempfile.TemporaryDirectory() as folder:
        directory = model.save(Path(folder) / "risk_model")
        (directory / "feature_catalog.json").write_text(
            json.dumps(catalog_entries(list(model.spec.names)), ensure_ascii=False, indent=1),
            encoding="utf-8")
        mlflow.set_tag(MANIFEST_TAG, manifest_sha256(directory))
        entry = Path(folder) / ENTRY_POINT.name  # written, not copied: MLflow keeps its mode
        entry.write_bytes(ENTRY_POINT.read_bytes())
        return mlflow.pyfunc.log_model(
            name="model", python_model=str(entry),
            artifacts={ARTIFACT_KEY: str(directory)}, signature=signature,
            input_example=example_frame,
            pip_requirements=[f"{p}=={package_version(p)}" for p in MODEL_PACKAGES],
        )


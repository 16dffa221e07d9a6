"""`ecr train`: plan, tune on rolling folds, refit, calibrate, map to 0–1000, evaluate against
the plain baselines, log, and register only a model that passed.

One call produces three MLflow runs on the same rows: the model (with one nested run per
tuning trial), the plain LightGBM baseline and the WOE scorecard baseline. The model is
logged first and registered last, after the baselines and the guardrails
(`training.guardrails`): a failed or degenerate run leaves nothing promotable behind.
"""

from __future__ import annotations

import json
import math
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
from mlflow.types.schema import AnyType, ColSpec, DataType, Schema

from features.catalog import BY_NAME
from models.calibration import Calibrator
from models.classification import classification_frame, classify
from models.feature_frame import FeatureSpec
from models.pyfunc import ARTIFACT_KEY, ENTRY_POINT
from models.registry import MANIFEST_TAG, REGISTERED_MODEL, owner_only
from models.risk_model import RiskModel, manifest_sha256
from models.score_map import ScoreMap
from training.baselines import fit_plain, reason_of, screen_for_binning
from training.booster import default_threads, fixed_params
from training.calibrate import choose_calibrator
from training.class_policy import ClassPolicy
from training.cross_validation import (
    CrossValidation,
    average_out_of_fold,
    cross_validate,
    fit_rounds,
)
from training.evaluation import Evaluation, Part, evaluate_chain
from training.figures import calibration_figure, class_rate_figure, log_figure, roc_figure
from training.global_explanation import log_global_explanation
from training.guardrails import degenerate_reasons
from training.parameters import categorical_params, default_params
from training.protocol import Protocol, out_of_time_protocol, stratified_protocol
from training.rules_effect import log_rules_effect, resolve_rules
from training.scorecard import fit_scorecard
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
    """The out-of-time protocol's period column; a named column must exist, except the default
    ``as_of``, without which the protocol is stratified (and the run says so)."""
    id_columns: tuple[str, ...] = ("uscc",)
    exclude: tuple[str, ...] = ()
    test_periods: int = 3
    valid_periods: int = 3
    """Periods in each tuning fold's validation block."""
    folds: int = 3
    """Rolling-origin tuning folds (stratified folds without periods)."""
    train_periods: int | None = None
    """The latest eligible periods to train on; None or 0 for all."""
    embargo: int | None = None
    """Months (periods for non-date times) between a training period and the validation or
    test rows it must not see; None: the outcome horizon recorded in the table, else 0."""
    test_share: float = 0.2
    trials: int | None = 0
    timeout: float | None = None
    seed: int = 7
    threads: int | None = None
    policy: ClassPolicy = field(default_factory=ClassPolicy)
    baseline: bool = True
    register: bool = True
    allow_degenerate: bool = False
    run_name: str | None = None
    rules: Path | None = None
    """Rules file bundled with the model; None: the shipped rules, or none when the table lacks
    the catalog features they read (a bring-your-own table)."""
    use_rules: bool = True


@dataclass
class BaselineResult:
    name: str
    run_id: str | None
    metrics: dict[str, float]
    error: str | None = None
    """Why the baseline could not be fitted (its run records it too)."""


@dataclass
class TrainResult:
    run_id: str
    model_uri: str
    version: str | None
    metrics: dict[str, float]
    test_classes: pd.DataFrame
    """Share of enterprises and observed outcome rate per class on the test rows."""
    baselines: dict[str, BaselineResult] = field(default_factory=dict)
    degenerate: list[str] = field(default_factory=list)
    """Why the model is degenerate; empty when it passed the guardrails."""
    model: RiskModel | None = None
    protocol: Protocol | None = None

    @property
    def baseline_metrics(self) -> dict[str, float]:
        """The WOE scorecard's metrics (empty when it was not fitted)."""
        found = self.baselines.get("woe_scorecard")
        return found.metrics if found else {}


Report = Callable[[str], None]


def make_protocol(data: FeatureTable, y: npt.NDArray, config: TrainConfig) -> Protocol:
    time = time_column(data, config.time_column)
    if time:
        embargo = config.embargo
        if embargo is None:
            embargo = int(data.metadata.get("ecr.horizon_months", 0))
        return out_of_time_protocol(data.table[time], config.test_periods,
                                    config.valid_periods, embargo, config.folds,
                                    config.train_periods or None)
    return stratified_protocol(y, config.test_share, config.folds, config.seed)


def catalog_entries(names: list[str]) -> list[dict[str, Any]]:
    """The catalog rows of the model's features (bring-your-own columns have none)."""
    entries = []
    for name in names:
        f = BY_NAME.get(name)
        entries.append({"name": name, "zh": f.zh, "en": f.en, "dimension": str(f.dimension),
                        "direction": f.direction, "unit": str(f.unit)} if f else
                       {"name": name})
    return entries


@dataclass(frozen=True)
class Chain:
    """A booster's (or baseline's) raw scores turned into the calibrated 0–1000 chain."""

    calibrator: Calibrator
    cv_log_loss: dict[str, float]
    score_map: ScoreMap
    evaluation: Evaluation


def calibrate_and_evaluate(
    raw: npt.NDArray, calibration_raw: npt.NDArray, y: npt.NDArray, protocol: Protocol,
    periods: npt.NDArray | None, config: TrainConfig,
) -> Chain:
    """Calibrator chosen and fitted on the calibration rows (``calibration_raw``: their
    scores, out of fold when the protocol says so); the score map from the class policy."""
    rows = protocol.calibration
    groups = periods[rows] if periods is not None else None
    choice = choose_calibrator(calibration_raw, y[rows], groups, config.seed)
    test_probability = choice.calibrator.probability(raw[protocol.test])
    if periods is not None:
        reference = test_probability[periods[protocol.test] == periods[protocol.test].max()]
    else:
        reference = test_probability
    score_map = config.policy.score_map(reference)
    parts = {"train": Part(raw[protocol.final_train], y[protocol.final_train]),
             "valid": Part(calibration_raw, y[rows]),
             "test": Part(raw[protocol.test], y[protocol.test])}
    return Chain(choice.calibrator, choice.cv_log_loss, score_map,
                 evaluate_chain(parts, choice.calibrator, score_map))


def final_rounds(rounds: int, protocol: Protocol) -> int:
    """Rounds for the final model. Stratified: the folds' rounds scaled by how many more rows
    the final model trains on than a fold did (all ``k`` parts against ``k − 1``: more rows
    carry more rounds before they overfit; measured on the small tables of
    `bench/model_quality.py`). Out of time: unchanged, since the later months differ in kind,
    not only in number."""
    if protocol.kind != "stratified":
        return rounds
    mean = float(np.mean([len(f.train) for f in protocol.folds]))
    return max(1, round(rounds * len(protocol.final_train) / mean))


def calibration_scores(raw: npt.NDArray, cv: CrossValidation, protocol: Protocol
                       ) -> npt.NDArray:
    """The calibration rows' raw scores: the final model's on the latest block (out of time),
    or the folds' out-of-fold scores (stratified, or when the final model trained on them)."""
    if protocol.calibration_from_folds:
        return cv.out_of_fold[protocol.calibration]
    return raw[protocol.calibration]


def train(config: TrainConfig, report: Report = print) -> TrainResult:
    """Train, evaluate, log and (when it passed) register; the caller has configured MLflow.
    Every file the run writes (MLflow's artifacts, with real feature rows) is owner-only."""
    with owner_only():
        return _train(config, report)


def _train(config: TrainConfig, report: Report) -> TrainResult:
    data = read_table(config.table)
    y = label_vector(data, config.label)
    time = time_column(data, config.time_column)
    if config.time_column and time is None:
        report(f"note: no {config.time_column!r} column: the protocol is stratified, not out "
               "of time")
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
    protocol = make_protocol(data, y, config)
    for key, value in protocol.describe().items():
        report(f"  {key}: {value}")
    x = spec.matrix(data.table, str(config.table))
    periods = (np.asarray(data.table[time].to_numpy()) if time else None)
    threads = config.threads or default_threads()
    rows = len(protocol.final_train)
    fixed = fixed_params(spec, config.seed, threads) | categorical_params(rows)

    with mlflow.start_run(run_name=config.run_name) as run:
        mlflow.set_tags({"ecr.kind": "model", "ecr.model_type": "lightgbm",
                         "ecr.label": config.label, "ecr.rules_version": rules.version_id,
                         **_prefixed(data.fingerprint, "ecr.")})
        mlflow.log_params({**{f"protocol_{k}": v for k, v in protocol.describe().items()},
                           "features": len(names), "categorical": len(spec.levels),
                           "seed": config.seed, "threads": threads,
                           "class_policy": config.policy.describe()})
        params = default_params(rows)
        if config.trials or config.timeout:
            tuning = tune(x, y, spec, protocol.folds, fixed, rows, config.seed, config.trials,
                          config.timeout, on_trial=lambda t: report(
                              f"  trial {t.number}: {t.state.name.lower()}"
                              + (f", folds' valid log loss {t.value:.5f}"
                                 if t.state.name == "COMPLETE" else "")))
            params |= tuning.params
            cv = tuning.cross_validation
            mlflow.log_metrics({"tuning_trials": tuning.trials,
                                "tuning_pruned": tuning.pruned})
        else:
            cv = cross_validate(x, y, spec, protocol.folds, fixed | params)
        valid_auc = float(np.nanmean(cv.fold_auc)) if any(a == a for a in cv.fold_auc) \
            else float("nan")
        mlflow.log_metrics({"cv_valid_log_loss": cv.valid_log_loss, "cv_rounds": cv.rounds,
                            "cv_valid_roc_auc": valid_auc,
                            **{f"fold_{i + 1}_valid_roc_auc": a
                               for i, a in enumerate(cv.fold_auc) if a == a}})
        rounds = final_rounds(cv.rounds, protocol)
        booster = fit_rounds(x, y, spec, protocol.final_train, fixed | params, rounds)
        mlflow.log_params({f"lgbm_{k}": v for k, v in params.items()}
                          | {"best_iteration": rounds})
        raw = booster.predict(x, raw_score=True)
        chain = calibrate_and_evaluate(raw, calibration_scores(raw, cv, protocol), y,
                                       protocol, periods, config)
        evaluation = chain.evaluation
        mlflow.log_params({"calibration": chain.calibrator.method,
                           "score_thresholds": ",".join(f"{t:.6g}" for t in
                                                        chain.score_map.thresholds)})
        mlflow.log_metrics({f"calibration_cv_log_loss_{k}": v
                            for k, v in chain.cv_log_loss.items()} | evaluation.metrics)
        model = RiskModel(booster, spec, chain.calibrator, chain.score_map, metadata={
            "label": config.label, "training_run_id": run.info.run_id,
            "params": fixed | params, "best_iteration": rounds,
            "protocol": protocol.describe(), "class_policy": config.policy.describe(),
            "data": data.fingerprint, "lightgbm": lgb.__version__,
            "rules_version": rules.version_id,
        }, rules=rules)
        _log_run_artifacts(model, evaluation, x, protocol, names)
        if rules.rules:
            log_rules_effect(model, data.table.take(protocol.test), evaluation.test_score,
                             y[protocol.test])
        example = data.table.select([*names, *(["as_of"] if rules.rules else [])])
        info = log_risk_model(model, example.slice(0, 5))
        test_auc = evaluation.metrics.get("test_roc_auc", float("nan"))
        report(f"LightGBM: {rounds} trees, folds' valid ROC AUC {valid_auc:.4f}, test ROC "
               f"AUC {test_auc:.4f}, ECE {evaluation.metrics['test_ece']:.4f}, calibration "
               f"{chain.calibrator.method}, distinct scores "
               f"{evaluation.metrics['test_distinct_score_share']:.1%}")

    result = TrainResult(run.info.run_id, info.model_uri, None, evaluation.metrics,
                         evaluation.test_classes, model=model, protocol=protocol)
    context = _Context(data, x, y, spec, protocol, periods, config, threads, run.info.run_id,
                       evaluation, report)
    if config.baseline:
        result.baselines = {"lightgbm_default": _plain_baseline(context),
                            "woe_scorecard": _scorecard_baseline(context)}
    plain = result.baselines.get("lightgbm_default")
    result.degenerate = degenerate_reasons(
        rounds, valid_auc, test_auc,
        plain.metrics.get("test_roc_auc") if plain and not plain.error else None)
    result.degenerate += [f"the {b.name} baseline failed ({b.error})"
                          for b in result.baselines.values() if b.error]
    client = mlflow.MlflowClient()
    client.log_metric(run.info.run_id, "degenerate", float(bool(result.degenerate)))
    if result.degenerate:
        client.set_tag(run.info.run_id, "ecr.degenerate", "; ".join(result.degenerate))
        report("WARNING: degenerate model: " + "; ".join(result.degenerate))
    if config.register and (not result.degenerate or config.allow_degenerate):
        registered = mlflow.register_model(info.model_uri, REGISTERED_MODEL)
        result.version = str(registered.version)
        result.model_uri = f"models:/{REGISTERED_MODEL}/{result.version}"
        client.set_tag(run.info.run_id, "ecr.registered_version", result.version)
    elif config.register:
        report("not registered: the model is degenerate (--allow-degenerate registers it)")
    return result


@dataclass(frozen=True)
class _Context:
    """What the baselines share with the model's run: the same rows, split and policy."""

    data: FeatureTable
    x: npt.NDArray
    y: npt.NDArray
    spec: FeatureSpec
    protocol: Protocol
    periods: npt.NDArray | None
    config: TrainConfig
    threads: int
    model_run: str
    model_evaluation: Evaluation
    report: Report


def _plain_baseline(c: _Context) -> BaselineResult:
    """LightGBM with its default parameters on the model's final training rows."""
    def fit() -> tuple[npt.NDArray, npt.NDArray, dict[str, Any]]:
        booster = fit_plain(c.x, c.y, c.spec, c.protocol.final_train, c.config.seed,
                            c.threads)
        raw = booster.predict(c.x, raw_score=True)
        if c.protocol.calibration_from_folds:
            held_out = [fit_plain(c.x, c.y, c.spec, fold.train, c.config.seed, c.threads)
                        .predict(c.x[fold.valid], raw_score=True)
                        for fold in c.protocol.folds]
            calibration = average_out_of_fold(c.protocol.folds, held_out, len(c.y))
            return raw, calibration[c.protocol.calibration], {}
        return raw, raw[c.protocol.calibration], {}

    return _baseline_run(c, "lightgbm_default", "LightGBM defaults", fit)


def _scorecard_baseline(c: _Context) -> BaselineResult:
    """The WOE scorecard on the columns optimal binning can use, the others named."""
    def fit() -> tuple[npt.NDArray, npt.NDArray, dict[str, Any]]:
        frame = _frame(c.data.table, c.spec)
        screened = screen_for_binning(frame.iloc[c.protocol.final_train], list(c.spec.names))
        if screened.dropped:
            c.report("WOE scorecard: not binned: " + ", ".join(
                f"{k} ({v})" for k, v in screened.dropped.items()))
        if not screened.kept:
            raise ValueError("no column can be binned")
        spec = c.spec.subset(screened.kept)
        scorecard = fit_scorecard(frame.iloc[c.protocol.final_train], c.y[c.protocol.final_train],
                                  spec, c.config.seed)
        raw = scorecard.raw_logit(frame)
        return raw, raw[c.protocol.calibration], {
            "selected_features": len(scorecard.regression.coef_[0]),
            "dropped_columns": json.dumps(screened.dropped, ensure_ascii=False),
            "table": scorecard.summary()}

    return _baseline_run(c, "woe_scorecard", "WOE scorecard", fit)


def _baseline_run(c: _Context, model_type: str, label: str,
                  fit: Callable[[], tuple[npt.NDArray, npt.NDArray, dict[str, Any]]]
                  ) -> BaselineResult:
    """Fit one baseline, evaluate it like the model and log it as its own run; a failure is
    recorded in the run and reported, never raised."""
    with mlflow.start_run(run_name=f"{model_type}-baseline-{c.model_run[:8]}") as run:
        mlflow.set_tags({"ecr.kind": "model", "ecr.model_type": model_type,
                         "ecr.compared_with": c.model_run, "ecr.label": c.config.label,
                         **_prefixed(c.data.fingerprint, "ecr.")})
        mlflow.log_params({**{f"protocol_{k}": v for k, v in c.protocol.describe().items()},
                           "features": len(c.spec.names)})
        try:
            raw, calibration_raw, extra = fit()
            chain = calibrate_and_evaluate(raw, calibration_raw, c.y, c.protocol, c.periods,
                                           c.config)
        except Exception as error:  # a baseline must never take the run down with it
            reason = reason_of(error)
            mlflow.set_tag("ecr.baseline_error", reason)
            c.report(f"{label}: failed: {reason}")
            return BaselineResult(model_type, run.info.run_id, {}, reason)
        table = extra.pop("table", None)
        if table is not None:
            mlflow.log_table(table, "scorecard_binning.json")
        mlflow.log_params({"calibration": chain.calibrator.method, **extra})
        mlflow.log_metrics(chain.evaluation.metrics | {
            f"calibration_cv_log_loss_{k}": v for k, v in chain.cv_log_loss.items()})
        log_figure(class_rate_figure({label: chain.evaluation.test_classes}),
                   "figures/outcome_rate_by_class.png", run.info.run_id)
    evaluation = chain.evaluation
    auc = evaluation.metrics.get("test_roc_auc", float("nan"))
    lift = c.model_evaluation.metrics.get("test_roc_auc", float("nan")) - auc
    client = mlflow.MlflowClient()
    client.log_metric(c.model_run, f"{model_type}_test_roc_auc", auc)
    client.log_metric(c.model_run, f"test_roc_auc_lift_over_{model_type}", lift)
    if model_type == "woe_scorecard":  # the names earlier runs used
        client.log_metric(c.model_run, "baseline_test_roc_auc", auc)
        client.log_metric(c.model_run, "test_roc_auc_lift_over_baseline", lift)
    curves = {"LightGBM (pipeline)": (c.model_evaluation.test_outcome,
                                      c.model_evaluation.test_probability),
              label: (evaluation.test_outcome, evaluation.test_probability)}
    if not math.isnan(auc):
        log_figure(roc_figure(curves), f"figures/roc_vs_{model_type}.png", c.model_run)
    log_figure(class_rate_figure(
        {"LightGBM (pipeline)": c.model_evaluation.test_classes,
         label: evaluation.test_classes}),
        f"figures/outcome_rate_by_class_vs_{model_type}.png", c.model_run)
    c.report(f"{label}: test ROC AUC {auc:.4f}, ECE {evaluation.metrics['test_ece']:.4f}; "
             f"pipeline lift {lift:+.4f}")
    return BaselineResult(model_type, run.info.run_id, evaluation.metrics)


def _frame(table: pa.Table, spec: FeatureSpec) -> pd.DataFrame:
    """Feature columns as pandas for optbinning: numbers as float, categories as text."""
    columns = {name: (np.asarray(table[name].cast(pa.string()).to_pylist(), dtype=object)
                      if name in spec.levels else table[name].cast(pa.float64()).to_numpy())
               for name in spec.names}
    return pd.DataFrame(columns, index=range(table.num_rows))


def _prefixed(values: dict[str, str], prefix: str) -> dict[str, str]:
    return {f"{prefix}{k}": v for k, v in values.items()}


def _log_run_artifacts(
    model: RiskModel, evaluation: Evaluation, x: npt.NDArray, protocol: Protocol,
    names: list[str],
) -> None:
    """Catalog, protocol, class table, importance, calibration and figures of the model."""
    mlflow.log_dict({"features": catalog_entries(names)}, "feature_catalog.json")
    mlflow.log_dict({"calibrator": model.calibrator.to_dict(),
                     "score_map": model.score_map.to_dict()}, "scoring_chain.json")
    mlflow.log_dict(protocol.describe(), "protocol.json")
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
    log_global_explanation(model, x[protocol.test])


def gaps_admitted(inputs: Schema) -> Schema:
    """The input schema with every integer column of any type: a signature that says
    ``long`` refuses a row with a gap in such a column (JSON null, NaN in pandas), which the
    model reads as missing, and ``double`` would refuse the integer columns of the training
    table itself; everything else keeps its inferred type."""
    return Schema([ColSpec(AnyType(), spec.name, spec.required)
                   if spec.type in (DataType.integer, DataType.long) else spec
                   for spec in inputs.inputs])


def log_risk_model(model: RiskModel, example: pa.Table) -> Any:
    """Log the pyfunc (booster, calibrator, score map, catalog inside), unregistered."""
    example_frame = example.to_pandas()
    with warnings.catch_warnings():
        # MLflow hints that integer columns cannot hold missing values; they are declared
        # below so that they may (the model reads gaps in any column).
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        signature = infer_signature(
            example_frame, classification_frame(classify(model, example).to_arrow()))
    signature.inputs = gaps_admitted(signature.inputs)
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

"""The monthly classification run, end to end, and the re-score between monthly runs.

features at the period → `BatchClassifier` over record batches (score, rules, explanation) →
results written under a new run → warnings, month-over-month analysis and regional risk
beside them → the period published atomically → the analysis logged to MLflow.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import mlflow
import pyarrow as pa
import pyarrow.compute as pc
from dateutil.relativedelta import relativedelta

from features.engines import compute_features
from features.store import Store
from models.explain.points import Explainer
from models.policy.profiles import Profile
from models.policy.profiles import profile as default_profile
from models.pyfunc import load_risk_model
from models.registry import configure, registered_version
from serving.monthly.analysis import analyse
from serving.monthly.batch import RESULT_SCHEMA, BatchClassifier
from serving.monthly.regional import regional_risk
from serving.monthly.warnings import (
    EarlyWarning,
    build_warnings,
    record_triggers,
    severity_counts,
)
from serving.results.schema import period_analysis
from serving.results.schema import regional_risk as regional_table
from serving.results.schema import warnings as warnings_table
from serving.results.store import ResultsStore, RunInfo

MONTHLY_EXPERIMENT = "enterprise-credit-risk-monthly"
SUMMARY = pa.schema([RESULT_SCHEMA.field(name) for name in (
    "uscc", "risk_level", "final_score", "prefecture", "industry_section")])
"""What the analysis, warnings and regional risk read of a period's results."""
BATCH_ROWS = 50_000
Progress = Callable[[int, int], None]
"""Called with (rows done, rows in all) after every batch."""


@dataclass
class PeriodOutcome:
    run: RunInfo
    unchanged: bool
    """True when the period was already published from the same model, rules, profile and
    data: nothing was recomputed."""
    warnings: list[EarlyWarning] = field(default_factory=list)
    analysis: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def data_fingerprint(store: Store) -> str:
    """sha256 over the store's table files: changes whenever any record changes."""
    tables = store.manifest()["tables"]
    digest = hashlib.sha256(json.dumps({t: v["sha256"] for t, v in sorted(tables.items())},
                                       sort_keys=True).encode()).hexdigest()
    return f"sha256:{digest[:32]}"


def classify_period(
    store: Store, results: ResultsStore, period: dt.date, model_uri: str,
    tracking_uri: str, jurisdiction: Profile | None = None, force: bool = False,
    batch_rows: int = BATCH_ROWS, progress: Progress | None = None,
) -> PeriodOutcome:
    """Classify every enterprise alive at ``period`` and publish the period."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    configure(tracking_uri)
    model = load_risk_model(model_uri)
    chosen = jurisdiction or default_profile()
    identity = {"model_version": registered_version(model_uri),
                "rules_version": model.rules.version_id, "profile": chosen.key,
                "data_fingerprint": data_fingerprint(store)}
    published = results.published_run(period)
    if published and not force and all(
            getattr(published, k) == v for k, v in identity.items()):
        return PeriodOutcome(published, unchanged=True)
    timings["load model"] = _lap(clock)

    clock = time.perf_counter()
    features = compute_features(store, period)
    timings["features"] = _lap(clock)

    clock = time.perf_counter()
    explainer = Explainer(model)
    classifier = BatchClassifier(explainer, model.rules, chosen, period,
                                 identity["model_version"])
    run_id = results.begin_run(period, "monthly", model_uri, store_version=store.version or "",
                               **identity)
    timings["explanation tables"] = _lap(clock)
    kept = []
    done, total = 0, features.num_rows
    score_seconds = write_seconds = 0.0
    for batch in features.to_batches(batch_rows):
        started = time.perf_counter()
        result = classifier.classify(batch)
        score_seconds += time.perf_counter() - started
        started = time.perf_counter()
        results.write_results(run_id, result)
        write_seconds += time.perf_counter() - started
        kept.append(result.select(SUMMARY.names))
        done += result.num_rows
        if progress:
            progress(done, total)
    timings["score, rules, explain"] = score_seconds
    timings["write results"] = write_seconds

    clock = time.perf_counter()
    current = pa.Table.from_batches(kept, schema=SUMMARY)
    previous_run = results.previous_published(period)
    previous = (results.results_of(previous_run.run_id, tuple(SUMMARY.names))
                if previous_run else None)
    since = previous_run.period if previous_run else period - relativedelta(months=1)
    found = build_warnings(current, previous, record_triggers(store, since, period))
    results.write_rows(warnings_table, run_id, (w.row(period) for w in found))
    analysis = analyse(current, previous) | {
        "warnings": severity_counts(found), "since": str(since)}
    results.write_rows(period_analysis, run_id, [{
        "period": period, "previous_period": previous_run.period if previous_run else None,
        "analysis": analysis}])
    results.write_rows(regional_table, run_id, regional_risk(current, previous, period))
    timings["warnings, analysis, regional"] = _lap(clock)

    clock = time.perf_counter()
    run = results.publish(run_id)
    timings["publish"] = _lap(clock)
    clock = time.perf_counter()
    mlflow_run = _log_to_mlflow(run, analysis, timings)
    results.set_mlflow_run(run_id, mlflow_run)
    timings["mlflow"] = _lap(clock)
    return PeriodOutcome(run, False, found, analysis, timings)


def rescore_since(
    store: Store, results: ResultsStore, since: dt.date, as_of: dt.date, model_uri: str,
    tracking_uri: str, jurisdiction: Profile | None = None,
) -> PeriodOutcome:
    """Re-score the enterprises with records collected in (since, as_of] and record
    warnings against the latest published period on or before ``since``."""
    configure(tracking_uri)
    model = load_risk_model(model_uri)
    chosen = jurisdiction or default_profile()
    triggers = record_triggers(store, since, as_of)  # every touched enterprise, triggers or not
    features = compute_features(store, as_of)
    subset = features.filter(pc.is_in(features["uscc"], pa.array(sorted(triggers), pa.string())))
    version = registered_version(model_uri)
    run_id = results.begin_run(as_of, "rescore", model_uri, model_version=version,
                               rules_version=model.rules.version_id, profile=chosen.key,
                               data_fingerprint=data_fingerprint(store),
                               store_version=store.version or "")
    classifier = BatchClassifier(Explainer(model), model.rules, chosen, as_of, version)
    result = classifier.classify(subset)
    results.write_results(run_id, result)
    baseline = results.previous_published(since + dt.timedelta(days=1))
    previous = (results.results_of(baseline.run_id, ("uscc", "risk_level"))
                if baseline else None)
    found = build_warnings(pa.Table.from_batches([result]), previous, triggers)
    results.write_rows(warnings_table, run_id, (w.row(as_of) for w in found))
    results.finish(run_id)
    return PeriodOutcome(results.run(run_id), False, found,
                         {"rescored": result.num_rows, "warnings": severity_counts(found)})


def _log_to_mlflow(run: RunInfo, analysis: dict[str, Any], timings: dict[str, float]) -> str:
    configure(mlflow.get_tracking_uri(), MONTHLY_EXPERIMENT)
    with mlflow.start_run(run_name=f"classify-{run.period}") as active:
        mlflow.set_tags({"ecr.kind": "monthly", "ecr.period": str(run.period),
                         "ecr.results_run_id": run.run_id, "ecr.model_version": run.model_version,
                         "ecr.rules_version": run.rules_version, "ecr.profile": run.profile,
                         "ecr.data_fingerprint": run.data_fingerprint})
        metrics = {"enterprises": analysis["enterprises"],
                   **{f"share_{k}": v for k, v in analysis["class_shares"].items()},
                   **{f"warnings_{k}": v for k, v in analysis["warnings"].items()},
                   **{f"seconds_{k.replace(', ', '_').replace(' ', '_')}": v
                      for k, v in timings.items()}}
        for key in ("class_rose", "class_fell", "score_psi"):
            if key in analysis:
                metrics[key] = analysis[key]
        mlflow.log_metrics(metrics)
        mlflow.log_dict(analysis, "analysis.json")
    return active.info.run_id


def _lap(started: float) -> float:
    return time.perf_counter() - started

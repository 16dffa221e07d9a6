"""Classify a period (the monthly run) and re-score between monthly runs.

features at the period → `BatchClassifier` over record batches (score, rules, explanation) →
results written under a new run → warnings, month-over-month analysis and region risk
(prefecture and county level) beside them → the period published atomically → the analysis
logged to MLflow.

A run pins the store version it starts from and reads everything (fingerprint, features,
triggers) from that version, whatever an ingest publishes meanwhile; it holds its period's
lease while it writes, and a failure before publishing removes its run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
from dateutil.relativedelta import relativedelta

from features.coverage import require_covered
from features.engines import compute_features
from features.store import Store
from features.training_set import data_end
from models.explain.points import Explainer
from models.policy.profiles import Profile
from models.registry import LoadedModel
from serving.monthly.analysis import analyse
from serving.monthly.batch import BatchClassifier, with_enterprise_context
from serving.monthly.early_warning import build_warnings, record_triggers, severity_counts
from serving.monthly.regional import region_risk
from serving.monthly.spark_run import SparkOptions
from serving.monthly.tracking import PeriodTracker
from serving.results.feature_snapshots import by_code
from serving.results.rows import PeriodAnalysis, RunInfo, StoredWarning
from serving.results.schema import SUMMARY_COLUMNS, SUMMARY_SCHEMA
from serving.results.store import SNAPSHOT_ROWS_PER_TRANSACTION, ResultsStore
from serving.use_cases.errors import InvalidRequest

BATCH_ROWS = 50_000
Progress = Callable[[int, int], None]
"""Called with (rows done, rows in all) after every batch."""


@dataclass(frozen=True)
class PeriodOutcome:
    """What a classification or a rescore did."""

    run: RunInfo
    unchanged: bool
    """True when the period was already published from the same model, rules, profile and
    data: nothing was recomputed."""
    warnings: list[StoredWarning] = field(default_factory=list)
    analysis: PeriodAnalysis | None = None
    """The month-over-month analysis (None when nothing was recomputed, and for a rescore)."""
    timings: dict[str, float] = field(default_factory=dict)
    tracking_error: str | None = None
    """Why the period, published, could not be logged to MLflow (None when it was, or when
    no tracker was given)."""


@dataclass(frozen=True)
class RescoreOutcome:
    run: RunInfo
    rescored: int
    """Enterprises with records collected in the window, re-scored."""
    warnings: list[StoredWarning]

    @property
    def warning_counts(self) -> dict[str, int]:
        return severity_counts(self.warnings)


def data_fingerprint(store: Store) -> str:
    """sha256 over the store's table files: changes whenever any record changes."""
    tables = store.manifest()["tables"]
    digest = hashlib.sha256(json.dumps({t: v["sha256"] for t, v in sorted(tables.items())},
                                       sort_keys=True).encode()).hexdigest()
    return f"sha256:{digest[:32]}"


ENGINES = ("duckdb", "spark")
"""Where `classify_period` computes features and scores: in-process, or on Spark."""


@dataclass
class _Scored:
    """What an engine hands the run: the feature rows to snapshot and the result batches."""

    snapshot: Iterable[pa.Table]
    """The features scored, in order of uscc, in slices the snapshot chunks alike."""
    batches: Iterable[pa.Table | pa.RecordBatch]
    total: int
    producing: str
    """The timing label of drawing the batches (scoring in-process, reading on Spark)."""


def classify_period(
    store: Store, results: ResultsStore, model: LoadedModel, period: dt.date,
    profile: Profile, *, force: bool = False, tracker: PeriodTracker | None = None,
    batch_rows: int = BATCH_ROWS, progress: Progress | None = None,
    engine: str = "duckdb", spark: SparkOptions | None = None,
) -> PeriodOutcome:
    """Classify every enterprise alive at ``period`` and publish the period; log it with
    ``tracker`` when one is given (a failure to log leaves the period published and is
    reported in ``tracking_error``).

    ``engine`` ``duckdb`` computes features and scores in this process; ``spark`` runs the
    same feature definitions and the same batch classifier on Spark (``spark``: master, work
    directory or an existing session; `serving.monthly.spark_run`), then loads the result
    files through the same run, so the stored period is the same either way and published as
    atomically. Warnings, analysis and region risk are computed here in both cases, from the
    summary columns (why: `serving.monthly.spark_run`)."""
    if engine not in ENGINES:
        raise InvalidRequest(f"--engine: expected one of {', '.join(ENGINES)}, found "
                             f"{engine!r}")
    store = store.pinned()
    require_covered(store, period)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    identity = {"model_version": model.version, "rules_version": model.rules_version,
                "profile": profile.key, "data_fingerprint": data_fingerprint(store)}
    published = results.published_run(period)
    if published and not force and all(
            getattr(published, k) == v for k, v in identity.items()):
        return PeriodOutcome(published, unchanged=True)
    timings["data fingerprint"] = _lap(clock)

    clock = time.perf_counter()
    classifier = BatchClassifier(Explainer(model.model), model.model.rules, profile, period,
                                 model.version)
    timings["explanation tables"] = _lap(clock)
    if engine == "duckdb":
        return _classify(store, results, model, period, classifier, identity, timings,
                         _in_process(store, period, classifier, batch_rows, timings),
                         tracker, progress)
    from serving.monthly.spark_run import (
        feature_slices,
        open_session,
        result_batches,
        score_on_spark,
    )

    options = spark or SparkOptions()
    clock = time.perf_counter()
    with open_session(options, batch_rows) as session:
        timings["spark session"] = _lap(clock)
        outputs = score_on_spark(session, store, period, classifier, options.work_dir)
    timings.update(outputs.timings)
    try:
        scored = _Scored(feature_slices(outputs, SNAPSHOT_ROWS_PER_TRANSACTION),
                         result_batches(outputs, batch_rows), outputs.rows,
                         "read result files")
        return _classify(store, results, model, period, classifier, identity, timings,
                         scored, tracker, progress)
    finally:
        outputs.remove()


def _in_process(store: Store, period: dt.date, classifier: BatchClassifier, batch_rows: int,
                timings: dict[str, float]) -> _Scored:
    clock = time.perf_counter()
    computed = by_code(compute_features(store, period))
    features = with_enterprise_context(computed, store)
    timings["features"] = _lap(clock)
    return _Scored([computed], (classifier.classify(batch)
                                for batch in features.to_batches(batch_rows)),
                   features.num_rows, "score, rules, explain")


def _classify(store: Store, results: ResultsStore, model: LoadedModel, period: dt.date,
              classifier: BatchClassifier, identity: dict[str, str],
              timings: dict[str, float], scored: _Scored, tracker: PeriodTracker | None,
              progress: Progress | None) -> PeriodOutcome:
    """Write what the engine produced under a new run, add warnings, analysis and region
    risk, publish the period; a failure before publishing removes the run."""
    with results.writing_run(period, "monthly", model.uri, store_version=store.version or "",
                             **identity) as run_id:
        clock = time.perf_counter()
        for part in scored.snapshot:
            results.write_feature_snapshot(run_id, part)
        timings["feature snapshot"] = _lap(clock)
        kept = []
        done, total = 0, scored.total
        produce_seconds = write_seconds = 0.0
        batches = iter(scored.batches)
        while True:
            started = time.perf_counter()
            result = next(batches, None)
            produce_seconds += time.perf_counter() - started
            if result is None:
                break
            started = time.perf_counter()
            results.write_results(run_id, result)
            write_seconds += time.perf_counter() - started
            kept.append(pa.table(result.select(SUMMARY_COLUMNS)).cast(SUMMARY_SCHEMA))
            done += result.num_rows
            if progress:
                progress(done, total)
        timings[scored.producing] = produce_seconds
        timings["write results"] = write_seconds

        clock = time.perf_counter()
        current = by_code(pa.concat_tables(kept) if kept else SUMMARY_SCHEMA.empty_table())
        previous_run = results.previous_published(period)
        previous = (results.results_of(previous_run.run_id, SUMMARY_COLUMNS)
                    if previous_run else None)
        since = previous_run.period if previous_run else period - relativedelta(months=1)
        found = build_warnings(current, previous, record_triggers(store, since, period),
                               period)
        results.write_warnings(run_id, found)
        analysis = analyse(current, previous, severity_counts(found), since)
        results.write_analysis(run_id, period, previous_run.period if previous_run else None,
                               analysis)
        results.write_region_risk(run_id, region_risk(current, previous, period))
        timings["warnings, analysis, region risk"] = _lap(clock)

        clock = time.perf_counter()
        run = results.publish(run_id)
        timings["publish"] = _lap(clock)
    tracking_error = None
    if tracker is not None:
        clock = time.perf_counter()
        try:
            results.set_mlflow_run(run_id, tracker.log_period(run, analysis, timings))
        except Exception as error:  # the period is published: report, never undo
            tracking_error = _describe(error)
        timings["mlflow"] = _lap(clock)
    return PeriodOutcome(run, False, found, analysis, timings, tracking_error)


def rescore(
    store: Store, results: ResultsStore, model: LoadedModel, since: dt.date,
    as_of: dt.date | None, profile: Profile, *, only: Collection[str] | None = None,
) -> RescoreOutcome:
    """Re-score the enterprises with records collected in (since, as_of] and record
    warnings against the latest published period on or before ``since``; ``as_of`` defaults
    to the store's data end (its last collection date). ``only`` limits the re-scoring to
    those of its enterprises (stored codes) that have records in the window."""
    store = store.pinned()
    as_of = data_end(store) if as_of is None else as_of
    if since >= as_of:
        raise InvalidRequest(f"--since {since} must be before the as-of date {as_of}")
    require_covered(store, as_of)
    triggers = record_triggers(store, since, as_of)  # every touched enterprise, triggers or not
    touched = set(triggers) if only is None else set(triggers) & set(only)
    computed = compute_features(store, as_of)
    computed = computed.filter(pc.is_in(computed["uscc"],
                                        pa.array(sorted(touched), pa.string())))
    subset = with_enterprise_context(computed, store)
    classifier = BatchClassifier(Explainer(model.model), model.model.rules, profile, as_of,
                                 model.version)
    with results.writing_run(as_of, "rescore", model.uri, model_version=model.version,
                             rules_version=model.rules_version, profile=profile.key,
                             data_fingerprint=data_fingerprint(store),
                             store_version=store.version or "") as run_id:
        results.write_feature_snapshot(run_id, computed)
        result = classifier.classify(subset)
        results.write_results(run_id, result)
        baseline = results.previous_published(since + dt.timedelta(days=1))
        previous = (results.results_of(baseline.run_id, ("uscc", "risk_level"))
                    if baseline else None)
        found = build_warnings(pa.Table.from_batches([result]), previous, triggers, as_of)
        results.write_warnings(run_id, found)
        results.finish(run_id)
    return RescoreOutcome(results.run(run_id), result.num_rows, found)


def _describe(error: BaseException) -> str:
    """One line naming the error's type and its first line of text."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _lap(started: float) -> float:
    return time.perf_counter() - started

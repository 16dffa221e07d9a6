"""Benchmark: the full monthly classification run on a 1,000,000-enterprise province.

Target (issue 7): features → model score → rules → explanations → results stored (SQLite) with
warnings, month-over-month analysis and regional risk, for every enterprise alive at the
period, in ≤ 3 minutes and ≤ 8 GiB peak on the 2-core machine. Prints the stage timings.

The model is trained once by the real pipeline (default parameters, no tuning) on one
labelled snapshot and registered in a scratch MLflow store under --work. The previous month
is classified first (so the timed month has a previous period to compare with), then the
timed month runs in a fresh process, so its peak memory is its own.

    .venv/bin/python bench/monthly.py                       # 1,000,000 enterprises
    .venv/bin/python bench/monthly.py --enterprises 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

from measure import cached_store, peak_rss_gib, province_arguments, run_child

TARGET_SECONDS = 180.0
TARGET_GIB = 8.0
PREVIOUS, PERIOD = dt.date(2025, 11, 30), dt.date(2025, 12, 31)
LABEL_SNAPSHOT = dt.date(2024, 12, 31)


def registered_model(work: Path, store_dir: Path, tracking_uri: str) -> str:
    """Train (once per store version) and register the model; its URI."""
    from features.store import Store
    from features.training_set import build_training_set
    from models.registry import REGISTERED_MODEL
    from training.pipeline import TrainConfig, train
    from training.tracking import configure

    store = Store(store_dir)
    marker = work / f"monthly-model-{store_dir.name}-{store.version}.txt"
    if marker.exists():
        return marker.read_text().strip()
    table = work / f"monthly-labelled-{store_dir.name}-{store.version}.parquet"
    if not table.exists():
        build_training_set(store, table, [LABEL_SNAPSHOT])
    configure(tracking_uri)
    started = time.perf_counter()
    result = train(TrainConfig(table=table, time_column=None, exclude=("as_of",),
                               baseline=False, register=True, run_name="bench-monthly"),
                   report=lambda _: None)
    print(f"trained and registered {result.model_uri} in {time.perf_counter() - started:.0f} s")
    uri = f"models:/{REGISTERED_MODEL}/{result.version}"
    marker.write_text(uri)
    return uri


def child(args: argparse.Namespace) -> None:
    from features.store import Store
    from models.policy.profiles import profile
    from models.registry import ModelRegistry
    from serving.monthly.tracking import PeriodTracker
    from serving.results.store import ResultsStore
    from serving.use_cases import classify_period

    started = time.perf_counter()
    registry = ModelRegistry(args.tracking)
    outcome = classify_period(Store(args.store), ResultsStore(args.database).migrate(),
                              registry.load(args.model), dt.date.fromisoformat(args.period),
                              profile(), tracker=PeriodTracker(registry))
    seconds = time.perf_counter() - started
    analysis = outcome.analysis
    assert analysis is not None
    print(json.dumps({"seconds": seconds, "rows": outcome.run.rows,
                      "timings": outcome.timings, "warnings": len(outcome.warnings),
                      "analysis": analysis.model_dump(include={
                          "class_shares", "class_rose", "class_fell", "score_psi"}),
                      "peak_gib": peak_rss_gib()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    province_arguments(parser, 1_000_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    for name in ("store", "database", "period", "model", "tracking"):
        parser.add_argument(f"--{name}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    store_dir = cached_store(args.work, args.enterprises, args.months, args.seed)
    tracking = f"sqlite:///{args.work / 'monthly-mlflow.db'}"
    model = registered_model(args.work, store_dir, tracking)
    database = args.work / f"monthly-results-{args.enterprises}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    common = ["--store", str(store_dir), "--database", url, "--model", model,
              "--tracking", tracking]
    previous = run_child(__file__, *common, "--period", str(PREVIOUS))
    print(f"previous month {PREVIOUS}: {previous['rows']:,} enterprises in "
          f"{previous['seconds']:.0f} s")
    timed = run_child(__file__, *common, "--period", str(PERIOD))
    print(f"\nmonthly run {PERIOD}: {timed['rows']:,} enterprises alive, of a province of "
          f"{args.enterprises:,}")
    for stage, seconds in timed["timings"].items():
        print(f"  {stage:<32}{seconds:>8.1f} s")
    print(f"  {'total (wall clock)':<32}{timed['seconds']:>8.1f} s")
    analysis = timed["analysis"]
    shares = ", ".join(f"{k} {v:.1%}" for k, v in analysis["class_shares"].items())
    print(f"classes: {shares}; since {PREVIOUS}: {analysis['class_rose']:,} rose, "
          f"{analysis['class_fell']:,} fell, score PSI {analysis['score_psi']:.4f}; "
          f"{timed['warnings']:,} warnings")
    print(f"results database: {database.stat().st_size / 2**20:.0f} MiB")
    time_ok = timed["seconds"] <= TARGET_SECONDS
    memory_ok = timed["peak_gib"] <= TARGET_GIB
    print(f"target ≤ {TARGET_SECONDS:.0f} s: {timed['seconds']:.1f} s "
          f"{'PASS' if time_ok else 'FAIL'}")
    print(f"target ≤ {TARGET_GIB:.0f} GiB peak: {timed['peak_gib']:.2f} GiB "
          f"{'PASS' if memory_ok else 'FAIL'}")


if __name__ == "__main__":
    main()

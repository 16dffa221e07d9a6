"""Benchmark: model quality on a synthetic province against the WOE scorecard baseline.

Quality bars (issue 4), on the test months of a 100,000-enterprise province:
  - test ROC AUC at least 0.02 above the scorecard baseline trained on the same split;
  - expected calibration error ≤ 0.02;
  - every class non-empty and the observed outcome rate strictly rising A < B < C < D;
  - the same seed gives the identical model (the whole training run is repeated).

    .venv/bin/python bench/model_quality.py                 # 100,000 × 48 months, 20 trials
    .venv/bin/python bench/model_quality.py --enterprises 20000 --trials 5

The province, store and training set are cached under --work; MLflow runs go to a scratch
store there, deleted afterwards, so the benchmark never touches the project's own store.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from measure import (
    cached_province,
    cached_store,
    peak_rss_gib,
    province_arguments,
)
from sklearn.metrics import roc_auc_score

from features.label import HORIZON_MONTHS
from features.store import Store
from training.metrics import class_order_holds
from training.pipeline import TrainConfig, TrainResult, train
from training.snapshots import build_from_store
from training.tracking import configure

AUC_LIFT = 0.02
MAX_ECE = 0.02


def training_set(work: Path, store_dir: Path, args: argparse.Namespace) -> Path:
    store = Store(store_dir)
    out = work / f"training-set-{store_dir.name}-{store.version}-{args.train_periods}.parquet"
    if not out.exists():
        started = time.perf_counter()
        snapshots = build_from_store(store, out, None, 3, 3, HORIZON_MONTHS,
                                     args.train_periods)
        rows = sum(s.rows for s in snapshots)
        print(f"training set: {len(snapshots)} snapshots, {rows:,} rows in "
              f"{time.perf_counter() - started:.0f} s")
    return out


def hidden_risk_auc(province: Path, table: Path, rows: np.ndarray) -> float:
    """ROC AUC of the generator's own hidden risk on the test rows: the ceiling no model that
    sees only the records can be expected to reach (synthetic provinces only)."""
    labelled = pq.read_table(table, columns=["uscc", "adverse"]).take(pa.array(rows))
    hidden = pq.read_table(province / "_hidden_risk.parquet", columns=["uscc", "hidden_risk"])
    joined = labelled.join(hidden, "uscc")
    return float(roc_auc_score(joined["adverse"].to_numpy(), joined["hidden_risk"].to_numpy()))


def run(table: Path, args: argparse.Namespace, run_name: str) -> tuple[TrainResult, float]:
    config = TrainConfig(table=table, trials=args.trials, seed=args.seed,
                         train_periods=args.train_periods, register=False, run_name=run_name)
    started = time.perf_counter()
    result = train(config, report=lambda line: None)
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    province_arguments(parser, enterprises=100_000)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--train-periods", type=int, default=12)
    args = parser.parse_args()

    store_dir = cached_store(args.work, args.enterprises, args.months, args.seed)
    table = training_set(args.work, store_dir, args)
    with tempfile.TemporaryDirectory(dir=args.work) as scratch:
        configure(f"sqlite:///{Path(scratch).resolve()}/mlflow.db", "model-quality")
        first, seconds = run(table, args, "quality")
        second, _ = run(table, args, "quality-repeat")

    assert first.model is not None and second.model is not None and first.split is not None
    ceiling = hidden_risk_auc(cached_province(args.work, args.enterprises, args.months,
                                              args.seed), table, first.split.test)
    m, b = first.metrics, first.baseline_metrics
    lift = m["test_roc_auc"] - b["test_roc_auc"]
    identical = (first.model.booster.model_to_string()
                 == second.model.booster.model_to_string()
                 and first.model.calibrator == second.model.calibrator
                 and first.model.score_map == second.model.score_map)
    print(f"\nprovince {args.enterprises:,} × {args.months} months, seed {args.seed}; "
          f"split {first.split.describe()}")
    print(f"training with {args.trials} Optuna trials + scorecard baseline: {seconds:.0f} s "
          f"wall, peak {peak_rss_gib():.2f} GiB")
    print(f"{'':24}{'LightGBM':>10}{'scorecard':>11}")
    for key in ("roc_auc", "gini", "ks", "brier", "log_loss", "ece"):
        print(f"test {key:19}{m[f'test_{key}']:>10.4f}{b[f'test_{key}']:>11.4f}")
    print(f"(hidden-risk oracle, test ROC AUC {ceiling:.4f}: what the generator knows and the "
          "records only hint at)")
    print(f"PSI train→test          {m['psi_train_test']:>10.4f}{b['psi_train_test']:>11.4f}")
    print("\nclass  share    outcome rate   (LightGBM, test months)")
    for c in "ABCD":
        print(f"  {c}   {m.get(f'test_share_{c}', 0):6.2%}   "
              f"{m.get(f'test_outcome_rate_{c}', float('nan')):8.2%}")

    bars = {
        f"ROC AUC lift over scorecard ≥ {AUC_LIFT} (found {lift:+.4f})": lift >= AUC_LIFT,
        f"ECE ≤ {MAX_ECE} (found {m['test_ece']:.4f})": m["test_ece"] <= MAX_ECE,
        "classes non-empty, outcome rate A < B < C < D": class_order_holds(first.test_classes),
        "same seed → identical model": identical,
    }
    print()
    for text, passed in bars.items():
        print(f"{'PASS' if passed else 'FAIL'}  {text}")


if __name__ == "__main__":
    main()

"""Benchmark: explain every enterprise of a 1,000,000-enterprise province in score points.

Target (issue 6): all 1,000,000 enterprises with the production-size model in ≤ 60 s on the
2-core machine. Baseline: LightGBM's own ``pred_contrib`` (what `shap.TreeExplainer` calls),
timed on the same sample rows in the same run, with the largest difference between the two.

The production-size model is trained here on one labelled snapshot of the province with the
production parameters (`training.parameters.default_params`: depth ≤ 6, 31 leaves) and a fixed
number of trees (default 300, the size the issue quotes), Platt-calibrated and mapped to
0–1000 with the default class policy. The explanation timed is the whole
`models.explain.points.Explainer`: TreeSHAP contributions, the model score and the points.

    .venv/bin/python bench/explain.py                       # 1,000,000 enterprises, 300 trees
    .venv/bin/python bench/explain.py --enterprises 20000 --trees 100
    .venv/bin/python bench/explain.py --depth 7 --leaves 96     # the tuning space's largest

It also times what a service request explains, one, two or four rows at a time: the
row-at-a-time kernel below `FEW_ROWS` beside the blocked kernel and `pred_contrib` on the
same rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
from measure import cached_store, peak_rss_gib, province_arguments

from features.engines import compute_features
from features.store import Store
from features.training_set import build_training_set
from models.calibration import PlattCalibrator
from models.explain import treeshap
from models.explain.points import Explainer
from models.feature_frame import FeatureSpec
from models.risk_model import RiskModel
from training.booster import default_threads, fixed_params
from training.class_policy import ClassPolicy
from training.parameters import default_params
from training.table import feature_columns, read_table

TARGET_SECONDS = 60.0
LABEL_SNAPSHOT = dt.date(2024, 12, 31)
EXPLAIN_AS_OF = dt.date(2025, 12, 31)


def production_model(work: Path, store: Store, trees: int, seed: int,
                     shape: dict[str, int]) -> tuple[RiskModel, npt.NDArray[np.float64]]:
    """The model, and the labelled snapshot's feature matrix (to top up the rows explained)."""
    table_file = work / f"explain-labelled-{store.root.name}-{store.version}.parquet"
    if not table_file.exists():
        started = time.perf_counter()
        build_training_set(store, table_file, [LABEL_SNAPSHOT])
        print(f"labelled snapshot {LABEL_SNAPSHOT} in {time.perf_counter() - started:.0f} s")
    data = read_table(table_file)
    names, _ = feature_columns(data, ["adverse", "as_of", "uscc"], ())
    spec = FeatureSpec.from_catalog(data.table, names)
    x = spec.matrix(data.table)
    y = data.table["adverse"].to_numpy()
    params = fixed_params(spec, seed, default_threads()) | default_params(len(y)) | shape
    started = time.perf_counter()
    train = np.random.default_rng(seed).random(len(y)) < 0.8
    booster = lgb.train(params, lgb.Dataset(x[train], y[train], free_raw_data=False),
                        num_boost_round=trees)
    calibrator = PlattCalibrator.fit(booster.predict(x[~train], raw_score=True), y[~train])
    score_map = ClassPolicy().score_map(calibrator.probability(
        booster.predict(x[~train], raw_score=True)))
    leaves = np.mean([t["num_leaves"] for t in booster.dump_model()["tree_info"]])
    print(f"production-size model: {booster.num_trees()} trees, {leaves:.1f} leaves on "
          f"average, depth ≤ {params['max_depth']}, {len(names)} features; trained on "
          f"{train.sum():,} rows in {time.perf_counter() - started:.0f} s")
    return RiskModel(booster, spec, calibrator, score_map), x

def few_rows(explainer: Explainer, model: RiskModel, x: npt.NDArray[np.float64],
             calls: int = 400) -> None:
    """ms per call of TreeSHAP on 1, 2 and 4 rows (one thread, as the service's requests):
    the kernel `shap_values` picks, the blocked kernel forced, and LightGBM's pred_contrib."""
    few = treeshap.FEW_ROWS

    def per_call(function: object, rows: int) -> float:
        started = time.perf_counter()
        for i in range(calls):
            start = (i * rows) % (len(x) - rows)
            function(x[start:start + rows])  # type: ignore[operator]
        return (time.perf_counter() - started) / calls * 1000

    def ours(rows: npt.NDArray[np.float64]) -> object:
        return treeshap.shap_values(explainer.forest, rows, 1)

    def theirs(rows: npt.NDArray[np.float64]) -> object:
        return model.booster.predict(rows, pred_contrib=True, num_threads=1)

    print(f"\n{'rows a call':<12}{'chosen ms':>11}{'blocked ms':>12}{'pred_contrib ms':>17}")
    for rows in (1, 2, 4):
        ours(x[:rows])
        chosen = per_call(ours, rows)
        treeshap.FEW_ROWS = 0  # every call blocked
        try:
            ours(x[:rows])
            blocked = per_call(ours, rows)
        finally:
            treeshap.FEW_ROWS = few
        print(f"{rows:<12}{chosen:>11.3f}{blocked:>12.3f}{per_call(theirs, rows):>17.3f}")



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    province_arguments(parser, 1_000_000)
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="Rows to explain: every enterprise alive at the as-of date, "
                             "topped up from the earlier labelled snapshot.")
    parser.add_argument("--depth", type=int, default=default_params(1)["max_depth"])
    parser.add_argument("--leaves", type=int, default=default_params(1)["num_leaves"])
    parser.add_argument("--sample", type=int, default=20_000,
                        help="Rows on which pred_contrib and this explainer are compared.")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    store = Store(cached_store(args.work, args.enterprises, args.months, args.seed))
    model, earlier = production_model(args.work, store, args.trees, args.seed,
                                      {"max_depth": args.depth, "num_leaves": args.leaves})

    started = time.perf_counter()
    features = compute_features(store, EXPLAIN_AS_OF)
    alive = model.spec.matrix(features)
    top_up = max(0, min(args.rows - len(alive), len(earlier)))
    x = np.concatenate([alive, earlier[:top_up]])[:args.rows]
    print(f"features of {len(alive):,} enterprises alive on {EXPLAIN_AS_OF} in "
          f"{time.perf_counter() - started:.0f} s; explaining {len(x):,} rows ({top_up:,} "
          f"topped up from {LABEL_SNAPSHOT})")

    started = time.perf_counter()
    explainer = Explainer(model)
    compile_seconds = time.perf_counter() - started
    explainer.attribute(x[:1000])  # numba compiles (or loads its cache) on first call
    print(f"tables: {explainer.forest.table_bytes / 2**20:.1f} MiB, built in "
          f"{compile_seconds:.1f} s")

    started = time.perf_counter()
    attribution = explainer.attribute(x)
    ours_all = time.perf_counter() - started
    additivity = np.abs(attribution.base_points + attribution.points.sum(axis=1)
                        - attribution.model_score).max()

    sample = np.sort(np.random.default_rng(0).choice(len(x), min(args.sample, len(x)),
                                                     replace=False))
    started = time.perf_counter()
    ours = explainer.attribute(x[sample]).log_odds
    ours_sample = time.perf_counter() - started
    started = time.perf_counter()
    theirs = model.booster.predict(x[sample], pred_contrib=True)
    theirs_sample = time.perf_counter() - started
    difference = np.abs(ours - theirs[:, :-1]).max()

    ours_rate, theirs_rate = len(sample) / ours_sample, len(sample) / theirs_sample
    print(f"\n{'method':<34}{'rows':>11}{'seconds':>10}{'rows/s':>12}")
    print(f"{'this explainer, every row':<34}{len(x):>11,}{ours_all:>10.1f}"
          f"{len(x) / ours_all:>12,.0f}")
    print(f"{'this explainer, sample':<34}{len(sample):>11,}{ours_sample:>10.2f}"
          f"{ours_rate:>12,.0f}")
    print(f"{'LightGBM pred_contrib, same sample':<34}{len(sample):>11,}{theirs_sample:>10.2f}"
          f"{theirs_rate:>12,.0f}")
    print(f"\nspeed-up over pred_contrib: {ours_rate / theirs_rate:.1f}x "
          f"(pred_contrib would take {len(x) / theirs_rate / 60:.1f} min for every row)")
    print(f"largest |difference| from pred_contrib: {difference:.2e} (log-odds)")
    print(f"largest |base + Σ points − model score|: {additivity:.2e} (points)")
    print(f"peak memory: {peak_rss_gib():.2f} GiB")
    few_rows(explainer, model, x)
    verdict = "PASS" if ours_all <= TARGET_SECONDS else "FAIL"
    print(f"target ≤ {TARGET_SECONDS:.0f} s for {len(x):,} rows: {ours_all:.1f} s {verdict}")


if __name__ == "__main__":
    main()


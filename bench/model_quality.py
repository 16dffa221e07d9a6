"""Benchmark: model quality against the plain baselines, on every synthetic scenario and on
small mixed-type tables, each in one run on one split.

For each scenario (`synthetic/scenarios.py`) a province is synthesised, ingested and turned
into a training set; the pipeline (`ecr train`'s `training.pipeline.train`, tuned) is compared
on the same test rows with the plain LightGBM (default parameters) and the WOE scorecard, and
with the generator's hidden risk (the oracle: what no model seeing only the records can
reach). Then three small tables with a known signal (a few hundred to a few thousand rows,
numbers, text categories, gaps, useless columns) go through the bring-your-own path.

Targets: on every scenario and small table the pipeline's test ROC AUC ≥ the plain
LightGBM's and ≥ the scorecard's; on the default scenario a lift over the scorecard ≥ 0.02,
ECE ≤ 0.02 and the outcome rate rising A < B < C < D; the same seed gives the same model.

    .venv/bin/python bench/model_quality.py --scenario all                     # 20,000 × 48
    .venv/bin/python bench/model_quality.py --scenario default --enterprises 100000 --trials 20

Provinces, stores and training sets are cached under --work; MLflow runs go to a scratch
store there, deleted afterwards.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from measure import peak_rss_gib, province_arguments
from sklearn.metrics import roc_auc_score

from features.ingest import ingest
from features.label import HORIZON_MONTHS
from features.store import Store
from synthetic import HIDDEN_FILE, generate
from synthetic.scenarios import SCENARIOS
from training.metrics import class_order_holds
from training.pipeline import TrainConfig, TrainResult, train
from training.snapshots import build_from_store
from training.tracking import configure

AUC_LIFT = 0.02
MAX_ECE = 0.02
SMALL_TABLES = ((400, 11), (1200, 12), (3000, 13))
"""(rows, seed) of the bring-your-own tables."""
TABLE_SPLITS = 5
"""Each small table is split five ways (seeds): on 80 test rows one split's ROC AUC has a
standard error near 0.05, so the bars compare the means over the splits, as one would
compare models on a real table (five folds)."""


@dataclass
class Row:
    name: str
    group: str
    """Rows of one group (a scenario, or a small table's splits) are barred on their mean."""
    result: TrainResult
    oracle: float | None
    seconds: float


def scenario_table(work: Path, name: str, args: argparse.Namespace) -> tuple[Path, Path]:
    """(training set, province) of a scenario, built once under ``work``."""
    stem = f"{name}-{args.enterprises}-{args.months}-{args.seed}"
    province, store_dir = work / f"province-{stem}", work / f"store-{stem}"
    table = work / f"training-set-{stem}.parquet"
    if not (province / "records.parquet").exists():
        generate(province, enterprises=args.enterprises, months=args.months, seed=args.seed,
                 scenario=name)
    store = Store(store_dir)
    if store.version is None:
        ingest([province], store)
    if not table.exists():
        build_from_store(store, table, None, 3, 3, HORIZON_MONTHS, None)
    return table, province


def oracle_auc(province: Path, table: Path, rows: np.ndarray) -> float:
    """ROC AUC of the generator's hidden risk on the test rows."""
    labelled = pq.read_table(table, columns=["uscc", "adverse"]).take(pa.array(rows))
    hidden = pq.read_table(province / HIDDEN_FILE, columns=["uscc", "hidden_risk"])
    joined = labelled.join(hidden, "uscc")
    return float(roc_auc_score(joined["adverse"].to_numpy(), joined["hidden_risk"].to_numpy()))


def small_table(rows: int, seed: int, path: Path) -> Path:
    """Mixed types with a known signal: a threshold, an interaction, a category, gaps, and
    columns that carry nothing (constant, all missing, an identifier-like text)."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(3, 0.6, rows)
    debt = rng.gamma(2.0, 1.0, rows)
    age = rng.integers(18, 75, rows).astype(float)
    purpose = rng.choice(["car", "house", "education", "business", "other"], rows,
                         p=[0.3, 0.2, 0.1, 0.2, 0.2])
    housing = rng.choice(["own", "rent", "free"], rows)
    z = (-1.2 + 0.9 * (debt / income * 20 > 1.5) + 0.6 * (purpose == "business")
         - 0.02 * (age - 40) + 0.7 * ((housing == "rent") & (age < 30)) + 0.3 * np.log(debt))
    bad = (rng.random(rows) < 1 / (1 + np.exp(-z))).astype(np.int64)
    income[rng.random(rows) < 0.08] = np.nan
    pq.write_table(pa.table({
        "income": income, "debt": debt, "age": age, "purpose": purpose, "housing": housing,
        "constant": np.ones(rows), "noise": rng.normal(size=rows), "bad": bad}), path)
    return path


def run(config: TrainConfig) -> tuple[TrainResult, float]:
    started = time.perf_counter()
    result = train(config, report=lambda line: None)
    return result, time.perf_counter() - started


def auc(metrics: dict[str, float]) -> float:
    return metrics.get("test_roc_auc", float("nan"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    province_arguments(parser, enterprises=20_000)
    parser.add_argument("--scenario", default="all",
                        help=f"all, none (small tables only), or one of {', '.join(SCENARIOS)}")
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--no-tables", action="store_true", help="Skip the small tables.")
    args = parser.parse_args()
    names = {"all": list(SCENARIOS), "none": []}.get(args.scenario, [args.scenario])
    args.work.mkdir(parents=True, exist_ok=True)

    rows: list[Row] = []
    bars: dict[str, bool] = {}
    with tempfile.TemporaryDirectory(dir=args.work) as scratch:
        configure(f"sqlite:///{Path(scratch).resolve()}/mlflow.db", "model-quality")
        for name in names:
            table, province = scenario_table(args.work, name, args)
            result, seconds = run(TrainConfig(table=table, trials=args.trials, seed=args.seed,
                                              register=False, run_name=f"quality-{name}"))
            assert result.protocol is not None
            rows.append(Row(name, name, result, oracle_auc(province, table, result.protocol.test),
                            seconds))
            if name == "default":
                again, _ = run(TrainConfig(table=table, trials=args.trials, seed=args.seed,
                                           register=False, run_name="quality-repeat"))
                assert result.model is not None and again.model is not None
                bars["default: same seed → identical model"] = (
                    result.model.booster.model_to_string()
                    == again.model.booster.model_to_string()
                    and result.model.calibrator == again.model.calibrator)
        if not args.no_tables:
            for size, seed in SMALL_TABLES:
                path = small_table(size, seed, Path(scratch) / f"small-{size}.parquet")
                for split in range(TABLE_SPLITS):
                    result, seconds = run(TrainConfig(
                        table=path, label="bad", trials=args.trials, seed=args.seed + split,
                        register=False, run_name=f"quality-table-{size}-{split}"))
                    rows.append(Row(f"table {size} split {split + 1}", f"table {size} rows",
                                    result, None, seconds))

    print(f"\nprovinces {args.enterprises:,} × {args.months} months, seed {args.seed}, "
          f"{args.trials} trials; peak {peak_rss_gib():.2f} GiB")
    header = (f"{'':22}{'pipeline':>9}{'plain':>8}{'WOE':>8}{'oracle':>8}{'ECE':>8}"
              f"{'distinct':>9}{'trees':>6}  outcome rate A / B / C / D{'':6}seconds")
    print(header)
    for row in rows:
        m = row.result.metrics
        plain = row.result.baselines["lightgbm_default"].metrics
        woe = row.result.baselines["woe_scorecard"].metrics
        rates = " / ".join(f"{m.get(f'test_outcome_rate_{c}', float('nan')):.1%}"
                           for c in "ABCD")
        oracle = f"{row.oracle:8.4f}" if row.oracle is not None else f"{'-':>8}"
        print(f"{row.name:22}{auc(m):9.4f}{auc(plain):8.4f}{auc(woe):8.4f}{oracle}"
              f"{m['test_ece']:8.4f}{m['test_distinct_score_share']:9.1%}"
              f"{int(m.get('test_rows', 0)) and row.result.model.booster.num_trees():>6}"
              f"  {rates:32}{row.seconds:6.0f}")
        if row.name == "default":
            lift = auc(m) - auc(woe)
            bars[f"default: lift over the scorecard ≥ {AUC_LIFT} (found {lift:+.4f})"] = (
                lift >= AUC_LIFT)
            bars[f"default: ECE ≤ {MAX_ECE} (found {m['test_ece']:.4f})"] = (
                m["test_ece"] <= MAX_ECE)
            bars["default: classes non-empty, outcome rate A < B < C < D"] = class_order_holds(
                row.result.test_classes)
    for group in dict.fromkeys(row.group for row in rows):
        members = [row for row in rows if row.group == group]
        mean = {name: float(np.mean([auc(pick(row)) for row in members]))
                for name, pick in (("pipeline", lambda r: r.result.metrics),
                                   ("plain", lambda r: r.result.baselines[
                                       "lightgbm_default"].metrics),
                                   ("WOE", lambda r: r.result.baselines[
                                       "woe_scorecard"].metrics))}
        over = f" (mean of {len(members)} splits)" if len(members) > 1 else ""
        bars[f"{group}: pipeline ≥ plain LightGBM{over} ({mean['pipeline']:.4f} vs "
             f"{mean['plain']:.4f})"] = mean["pipeline"] >= mean["plain"]
        bars[f"{group}: pipeline ≥ WOE scorecard{over} ({mean['pipeline']:.4f} vs "
             f"{mean['WOE']:.4f})"] = mean["pipeline"] >= mean["WOE"]
    print()
    for text, passed in bars.items():
        print(f"{'PASS' if passed else 'FAIL'}  {text}")


if __name__ == "__main__":
    main()

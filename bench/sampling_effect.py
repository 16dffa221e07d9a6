"""Benchmark: do risk-based draws find more problems than uniform ones?

A synthetic province is synthesised, ingested, a model trained on it (`ecr train`'s pipeline,
untuned, on the month-ends of 2024) and the last ``--months`` month-ends of 2025 classified;
each month one campaign of task GEN is drawn by `serving.use_cases.draws.create_draw` (the
profile's ratios, per class), and a
uniform draw of the same number of inspections over the same population (the smallest
sha256(seed|UNIFORM|uscc), ignoring class). Each inspection's outcome comes from the
generator's hidden risk, as the generator decides its own spot checks (problem found with
probability sigmoid(−2.9 + 1.5 × hidden risk)), drawn once per enterprise and month so both
strategies see the same outcome for the same enterprise.

Prints problems found per inspection overall and per class for both. Target: risk-based ≥ 2×
uniform.

    PYTHONPATH=. .venv/bin/python bench/sampling_effect.py [--enterprises 5000] [--months 12]
        [--seed 5] [--work DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import math
import tempfile
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from features.ingest import ingest
from features.store import Store
from features.training_set import build_training_set
from models.policy.profiles import profile
from models.registry import ModelRegistry
from serving.results.store import ResultsStore
from serving.sampling.catalogue import shipped_catalogue
from serving.use_cases import classify_period
from serving.use_cases.draws import DrawRequest, create_draw, published_record
from synthetic import HIDDEN_FILE, generate
from training.pipeline import TrainConfig, train
from training.tracking import configure

TARGET = 2.0


def month_ends(last: dt.date, count: int) -> list[dt.date]:
    ends, day = [], last
    for _ in range(count):
        ends.append(day)
        day = day.replace(day=1) - dt.timedelta(days=1)
    return sorted(ends)


def problem(hidden: float, uscc: str, period: dt.date, seed: int) -> bool:
    """The outcome of inspecting ``uscc`` in ``period``: one uniform number per enterprise
    and month (sha256), the generator's own problem-found curve."""
    u = int(hashlib.sha256(f"{seed}|{period}|{uscc}".encode()).hexdigest()[:12], 16) / 16**12
    return u < 1 / (1 + math.exp(2.9 - 1.5 * hidden))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=5000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="ecr-sampling-effect-"))
    started = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f}s] {message}", flush=True)

    province = work / "province"
    generate(province, enterprises=args.enterprises, months=36 + args.months,
             seed=args.seed, end_month="2025-12")
    store = Store(work / "store")
    ingest([province], store, today=dt.date(2026, 1, 10))
    say(f"province of {args.enterprises} enterprises ingested")
    periods = month_ends(dt.date(2025, 12, 31), args.months)
    tracking = f"sqlite:///{work}/mlflow.db"
    configure(tracking)
    table = work / "training-set.parquet"
    # The twelve month-ends of 2024: their 12-month outcome windows close by the data end.
    build_training_set(store, table, month_ends(dt.date(2024, 12, 31), 12))
    result = train(TrainConfig(table=table, test_periods=2, valid_periods=2, train_periods=0,
                               embargo=0, baseline=False, register=False),
                   report=lambda _: None)
    model = ModelRegistry(tracking).load(result.model_uri)
    say("model trained")
    results = ResultsStore(f"sqlite:///{work}/results.db").migrate()
    hidden = dict(zip(*pq.read_table(province / HIDDEN_FILE, columns=["uscc", "hidden_risk"])
                      .to_pydict().values(), strict=True))
    tally = {"risk": Counter(), "uniform": Counter()}
    for period in periods:
        classify_period(store, results, model, period, profile())
        view = create_draw(results, store, profile(), shipped_catalogue(),
                           DrawRequest(period=period, task="GEN", seed=f"bench {period}",
                                       mode="per-class",
                                       drawn_on=period + dt.timedelta(days=1)),
                           author="bench")
        _, members = published_record(results, view.draw_id)
        uniform = sorted(members, key=lambda m: hashlib.sha256(
            f"bench {period}|UNIFORM|{m.uscc}".encode()).hexdigest())[:len(view.targets)]
        for name, chosen in (("risk", [(t.uscc, t.risk_level) for t in view.targets]),
                             ("uniform", [(m.uscc, m.risk_level) for m in uniform])):
            for uscc, level in chosen:
                found = problem(hidden[uscc], uscc, period, args.seed)
                tally[name]["all"] += 1
                tally[name]["all problems"] += found
                tally[name][level] += 1
                tally[name][f"{level} problems"] += found
        say(f"{period}: {len(view.targets)} inspections each")

    print(f"\n{'':10}{'risk-based':>22}{'uniform':>22}")
    for level in ("all", "A", "B", "C", "D"):
        cells = []
        for name in ("risk", "uniform"):
            n, k = tally[name][level], tally[name][f"{level} problems"]
            cells.append(f"{k:>6}/{n:<6} {k / n:6.1%}" if n else f"{'—':>20}")
        print(f"{level:10}{cells[0]:>22}{cells[1]:>22}")
    rate = {name: tally[name]["all problems"] / max(tally[name]["all"], 1) for name in tally}
    lift = rate["risk"] / rate["uniform"] if rate["uniform"] else float("inf")
    print(f"\nproblems per inspection, risk-based / uniform: {lift:.2f}× "
          f"(target ≥ {TARGET:g}×: {'met' if lift >= TARGET else 'NOT met'})")


if __name__ == "__main__":
    main()

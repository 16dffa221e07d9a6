"""Benchmark: score and explain one enterprise from the store, as `POST /v1/scores` will.

Target (issue 15, measured later over HTTP): p99 ≤ 250 ms for one enterprise at the latest
date on a 1,000,000-enterprise province, its features computed from the records with only the
related parties they need. Here, below the HTTP face: the reader's open time and memory, then
`score_enterprises(..., explain=True)` for one enterprise at a time over random enterprises
alive at the store's data end, and beside it the old whole-province path for one call
(`compute_features` at the date, then the explanation of one row), in a child process.

    .venv/bin/python bench/score_latency.py --work /work/bench-data          # 1,000,000
    .venv/bin/python bench/score_latency.py --enterprises 100000 --work /work/bench-data

The province, its store and the model (the production-size model of bench/explain.py, with
the shipped rules) are cached under --work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
from explain import production_model
from measure import cached_store, peak_rss_gib, province_arguments, run_child

from features.enterprise_features import EnterpriseFeatures
from features.store import Store
from models.explain.points import Explainer
from models.policy.profiles import profile
from models.policy.rules import shipped_rules
from models.registry import LoadedModel
from models.risk_model import RiskModel
from training.parameters import default_params

TARGET_P99_SECONDS = 0.25


def rss_gib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


def cached_model(work: Path, store: Store, trees: int, seed: int) -> LoadedModel:
    directory = work / f"score-latency-model-{store.root.name}-{store.version}-{trees}"
    if not (directory / "manifest.json").exists():
        shape = {k: default_params(1)[k] for k in ("max_depth", "num_leaves")}
        model, _ = production_model(work, store, trees, seed, shape)
        model.rules = shipped_rules()
        model.save(directory)
    return LoadedModel(RiskModel.load(directory), str(directory), f"bench/{directory.name}")


def alive_codes(store: Store, as_of: dt.date, count: int, seed: int) -> list[str]:
    with store.connect() as connection:
        codes = connection.execute(
            "SELECT uscc FROM enterprises WHERE established_on <= ? AND "
            "(deregistered_on IS NULL OR deregistered_on > ?) ORDER BY uscc",
            [as_of, as_of]).fetchall()
    chosen = np.random.default_rng(seed).choice(len(codes), count, replace=False)
    return [codes[i][0] for i in chosen]


def child_baseline(store_dir: Path, model_dir: Path, uscc: str, as_of: dt.date) -> None:
    """The path `explain_enterprise` took before: the whole province's features."""
    from features.engines import compute_features
    from models.explain.explanation import explain_rows

    model = RiskModel.load(model_dir)
    explainer = Explainer(model)
    started = time.perf_counter()
    features = compute_features(Store(store_dir), as_of)
    row = features.filter(pc.equal(features["uscc"], uscc))
    explanation = explain_rows(explainer, row, profile())[0]
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_gib": peak_rss_gib(),
                      "final_score": explanation.final_score}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    province_arguments(parser, 1_000_000)
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--reuse-model", type=Path,
                        help="A saved model directory to use instead of training one (the "
                             "explanation's cost depends on its trees, not the province).")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--uscc", help=argparse.SUPPRESS)
    parser.add_argument("--as-of", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_baseline(args.store, args.model, args.uscc, dt.date.fromisoformat(args.as_of))
        return
    from serving.use_cases import score_enterprises

    args.work.mkdir(parents=True, exist_ok=True)
    store = Store(cached_store(args.work, args.enterprises, args.months, args.seed))
    tables = store.manifest()["tables"]
    print(f"province: {args.enterprises:,} enterprises, {tables['records']['rows']:,} "
          f"records, {tables['relations']['rows']:,} relations")
    model = (LoadedModel(RiskModel.load(args.reuse_model), str(args.reuse_model), "bench")
             if args.reuse_model else cached_model(args.work, store, args.trees, args.seed))
    explainer = Explainer(model.model)

    before = rss_gib()
    started = time.perf_counter()
    reader = EnterpriseFeatures(store)
    opened = time.perf_counter() - started
    print(f"reader opened in {opened:.1f} s (SQL for {reader.data_end} compiled); holds "
          f"{reader.held_bytes() / 2**30:.2f} GiB of tables and indexes "
          f"({reader.records:,} records); resident {before:.2f} GiB before, "
          f"{rss_gib():.2f} GiB after, peak {peak_rss_gib():.2f} GiB")

    codes = alive_codes(store, reader.data_end, args.requests + 1, args.seed)
    score_enterprises(reader, model, codes[:1], None, profile(), explain=True,
                      explainer=explainer)  # numba's first call
    seconds = []
    for uscc in codes[1:]:
        started = time.perf_counter()
        scored = score_enterprises(reader, model, [uscc], None, profile(), explain=True,
                                   explainer=explainer)
        seconds.append(time.perf_counter() - started)
        assert [s.uscc for s in scored.items] == [uscc]
    ms = np.asarray(seconds) * 1000
    p50, p99 = np.percentile(ms, [50, 99])
    print(f"one enterprise at {reader.data_end}, explained, {len(ms)} requests one at a time: "
          f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {ms.max():.0f} ms, mean {ms.mean():.0f} ms")
    verdict = "PASS" if p99 / 1000 <= TARGET_P99_SECONDS else "FAIL"
    print(f"target p99 ≤ {TARGET_P99_SECONDS * 1000:.0f} ms (below HTTP): {p99:.0f} ms "
          f"{verdict}")
    print(f"peak memory with the reader: {peak_rss_gib():.2f} GiB")
    if args.skip_baseline:
        return
    base = run_child(__file__, "--store", str(store.root), "--model", model.uri,
                     "--uscc", codes[1], "--as-of", str(reader.data_end))
    print(f"baseline, whole-province features for one enterprise: {base['seconds']:.1f} s, "
          f"{base['peak_gib']:.2f} GiB peak ({base['seconds'] * 1000 / p50:.0f}× the p50)")


if __name__ == "__main__":
    main()

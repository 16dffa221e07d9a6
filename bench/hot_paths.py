"""Benchmark: the per-request work of scoring one enterprise, in process, on the
production-size model that bench/service.py registers (run that first: it caches the model
and a sample of 400 enterprises' feature rows under --work).

- one row through LightGBM's predict and through the TreeSHAP kernel, on all threads (the
  baseline: what both did before `models.risk_model.prediction_threads`) and on one thread;
- one supplied row scored, judged and explained (`score_feature_rows`, explain=True, and the
  API's explanation lines), per request: read as an Arrow table (before) and as Python
  values (`models.columns.PyColumns`, now);
- with ``--store``: one enterprise's features from the store, alone, and as eight concurrent
  calls (`features.joined_calls` joins them into one run); then at the data end from the
  materialised features (`features.materialised`, built first if no earlier run left them).

    .venv/bin/python bench/hot_paths.py --work data/bench [--store data/bench/store-1000000-48-7]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from service import REGISTERED, tracking_uri

from features.enterprise_features import EnterpriseFeatures
from features.store import Store
from models.columns import ArrowColumns
from models.explain.points import Explainer
from models.explain.treeshap import shap_values
from models.policy.profiles import profile
from models.registry import ModelRegistry
from serving.api.schemas.explanation import ExplanationPublic
from serving.use_cases.score import feature_rows, rows_table, score_feature_rows


def per_call_ms(call, repeat: int) -> float:  # type: ignore[no-untyped-def]
    for _ in range(5):
        call()
    started = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - started) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("data/bench"))
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--store", type=Path, default=None,
                        help="the store of the sample, to time features from the store too")
    args = parser.parse_args()
    samples = sorted(args.work.glob("service-bench-sample-*.json"))
    if not samples:
        raise SystemExit(f"no sample under {args.work}: run bench/service.py first")
    rows = json.loads(samples[-1].read_text())["rows"]
    loaded = ModelRegistry(tracking_uri(args.work, args.enterprises)).load(
        f"models:/{REGISTERED}@champion")
    chain, explainer, jurisdiction = loaded.model, Explainer(loaded.model), profile()
    x = chain.spec.matrix(rows_table(rows[:1]), "rows")
    print(f"model {loaded.version}: {chain.booster.num_trees()} trees, {x.shape[1]} features")
    for label, threads in (("all threads (before)", 0), ("one thread (now)", 1)):
        predict = per_call_ms(lambda t=threads: chain.raw_of(x, t), args.repeat)
        shap = per_call_ms(lambda t=threads: shap_values(explainer.forest, x, t or None),
                           args.repeat)
        print(f"  one row, {label}: predict {predict:.2f} ms, TreeSHAP {shap:.2f} ms")
    index = iter(range(10**9))

    def request(read: Callable[[list[dict]], Any]) -> None:
        row = rows[next(index) % len(rows)]
        found = score_feature_rows(loaded, read([row]), jurisdiction, explain=True,
                                   explainer=explainer)
        ExplanationPublic.of(found[0].explanation, loaded.version, 10)

    for label, read in (("as an Arrow table (before)", lambda r: ArrowColumns(rows_table(r))),
                        ("as Python values (now)", feature_rows)):
        print(f"  one supplied row scored and explained (top 10), {label}: "
              f"{per_call_ms(lambda read=read: request(read), args.repeat):.1f} ms per request")
    if not args.store:
        return
    features = EnterpriseFeatures(Store(args.store))
    codes = [row["uscc"] for row in rows]
    picks = iter(range(10**9))
    alone = per_call_ms(lambda: features.compute([codes[next(picks) % len(codes)]],
                                                 features.data_end), 40)
    with ThreadPoolExecutor(8) as pool:
        started, runs = time.perf_counter(), features.runs
        for _ in range(10):
            list(pool.map(lambda c: features.compute([c], features.data_end),
                          [codes[next(picks) % len(codes)] for _ in range(8)]))
        joined = (time.perf_counter() - started) / 80 * 1000
    print(f"  one enterprise's features from the store: alone {alone:.1f} ms per call; eight "
          f"concurrent calls {joined:.1f} ms per call ({features.runs - runs} runs for 80 "
          "calls)")
    features = EnterpriseFeatures(Store(args.store), materialise=True)
    started = time.perf_counter()
    if not features.wait_materialised():
        raise SystemExit(f"materialising the features failed: {features.materialise_error}")
    print(f"  every enterprise's features at {features.data_end} materialised (or opened) in "
          f"{time.perf_counter() - started:.1f} s")
    looked_up = per_call_ms(lambda: features.compute([codes[next(picks) % len(codes)]],
                                                     features.data_end), 400)
    print(f"  one enterprise's features at the data end, materialised: {looked_up:.3f} ms per "
          "call")


if __name__ == "__main__":
    main()

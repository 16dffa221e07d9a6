"""Benchmark: the HTTP service over a published period of the 1,000,000-enterprise province,
driven over HTTP from a separate process, beside MLflow's own scoring server.

The real server (`ecr serve --workers 2`, as the README recommends on 2 cores) runs on the
embedded defaults: SQLite results, the store, the model from a local MLflow registry. A load
process sends requests on a fixed schedule (open loop: latency counts from when a request was
due, so a stalled server cannot hide its queue) and prints p50, p99, throughput and errors.

Targets (issue 15, 2-core machine):

- `POST /v1/scores?explain=true`, one enterprise from supplied feature rows: p99 ≤ 20 ms at
  200 requests/s; beside it `mlflow models serve` on `/invocations` for the same model and
  rows (plain scoring, no explanation) — the baseline;
- the same from the store by USCC at the latest date: p99 ≤ 250 ms at 20 requests/s;
- `GET /v1/enterprises/{uscc}` (its stored result and history, each with its stored
  explanation: base points, top factors in points, fired rules): p99 ≤ 10 ms at 500/s;
- classification pages of 1,000 rows: ≥ 50 pages/s;
- the CSV export of the whole period: ≤ 30 s.

Shown beside them, with this script's own bar: the full explanation of the published result
(`GET /v1/enterprises/{uscc}/explanation`, every feature's points, from the feature values the
run scored; the same p99 ≤ 250 ms at 20/s as scoring from the store), and search by name
prefix at 100/s.

    .venv/bin/python bench/service.py                                # 1,000,000 enterprises
    .venv/bin/python bench/service.py --enterprises 100000 --seconds 10

The province, store, model and published period are cached under --work (the period's
classification at 1,000,000 enterprises takes several minutes the first time).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from measure import ROOT, cached_store, province_arguments

REGISTERED = "enterprise-credit-risk"
PHASES = {
    "rows": ("POST /v1/scores?explain=true, supplied rows", 200, 0.020),
    "store": ("POST /v1/scores?explain=true, by USCC from the store", 20, 0.250),
    "enterprise": ("GET /v1/enterprises/{uscc} (history, stored explanation)", 500, 0.010),
    "explanation": ("GET /v1/enterprises/{uscc}/explanation (published)", 20, 0.250),
    "search": ("GET /v1/enterprises?q= (name prefix)", 100, None),
    "mlflow": ("mlflow models serve /invocations (baseline)", 200, None),
}


# ---------------------------------------------------------------- setting up (cached)

def tracking_uri(work: Path, enterprises: int) -> str:
    return f"sqlite:///{work}/service-mlflow-{enterprises}/mlflow.db"


def registered_model(work: Path, store_dir: Path, enterprises: int, seed: int) -> str:
    """The production-size model of bench/explain.py, logged and registered as champion."""
    import mlflow
    from explain import production_model

    from features.store import Store
    from models.policy.rules import shipped_rules
    from models.registry import ModelRegistry
    from training.parameters import default_params
    from training.pipeline import log_risk_model
    from training.tracking import configure

    uri = tracking_uri(work, enterprises)
    registry = ModelRegistry(uri, create=True)
    try:
        version, _ = registry.version(f"models:/{REGISTERED}@champion")
        return version
    except Exception:
        pass
    store = Store(store_dir)
    shape = {k: default_params(1)[k] for k in ("max_depth", "num_leaves")}
    model, _ = production_model(work, store, 300, seed, shape)
    model.rules = shipped_rules()
    configure(uri, "service-bench")
    from features.coverage import data_end
    from features.engines import compute_features

    example = compute_features(store, data_end(store)).slice(0, 5)
    with mlflow.start_run(run_name="service-bench"):
        info = log_risk_model(model, example.select(
            [*model.spec.names, *sorted(model.rules.features() - set(model.spec.names)),
             "as_of"]))
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    with contextlib.suppress(mlflow.exceptions.MlflowException):
        client.create_registered_model(REGISTERED)
    version = client.create_model_version(REGISTERED, info.model_uri, run_id=info.run_id)
    client.set_registered_model_alias(REGISTERED, "champion", version.version)
    return f"{REGISTERED}/{version.version}"


def published_period(work: Path, store_dir: Path, enterprises: int) -> tuple[str, dt.date]:
    """The results database with the store's last month end classified and published."""
    from features.coverage import data_end
    from features.store import Store
    from models.policy.profiles import profile
    from models.registry import ModelRegistry
    from serving.results.store import ResultsStore
    from serving.use_cases import classify_period

    url = f"sqlite:///{work}/service-results-{enterprises}.db"
    store = Store(store_dir)
    end = data_end(store)
    period = (end.replace(day=1) - dt.timedelta(days=1)) if end.day < 28 else end
    results = ResultsStore(url).migrate()
    if results.published_run(period) is None:
        started = time.perf_counter()
        loaded = ModelRegistry(tracking_uri(work, enterprises)).load(
            f"models:/{REGISTERED}@champion")
        outcome = classify_period(store, results, loaded, period, profile())
        print(f"classified and published {outcome.run.rows:,} enterprises for {period} in "
              f"{time.perf_counter() - started:.0f} s")
    return url, period


# ---------------------------------------------------------------- the load process

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered \
        else float("nan")


async def open_loop(url: str, rate: float, seconds: float,
                    request: callable) -> dict[str, float]:  # type: ignore[valid-type]
    """Send ``rate`` requests a second for ``seconds``; latency from when each was due. The
    client is aiohttp on uvloop, so that the load process keeps its schedule at 500/s on a
    shared core (httpx's own overhead would show as the server's latency)."""
    import aiohttp

    latencies: list[float] = []
    errors = 0
    first_error = ""
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(url, connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=30)) as session:
        started = time.perf_counter()
        total = int(rate * seconds)

        async def one(index: int) -> None:
            nonlocal errors, first_error
            due = started + index / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            try:
                async with request(session, index) as answer:
                    body = await answer.read()
                    if answer.status >= 400:
                        errors += 1
                        first_error = first_error or f"{answer.status} {body[:300]!r}"
            except Exception as error:
                errors += 1
                first_error = first_error or f"{type(error).__name__}: {error}"
            latencies.append(time.perf_counter() - due)

        await asyncio.gather(*(one(i) for i in range(total)))
        elapsed = time.perf_counter() - started
    return {"requests": total, "seconds": elapsed, "throughput": total / elapsed,
            "p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
            "errors": errors, "first_error": first_error}


def load_child(args: argparse.Namespace) -> None:
    import uvloop

    spec = json.loads(Path(args.spec).read_text())
    headers = {"Authorization": f"Bearer {spec['key']}"}
    kind, rate = args.kind, args.rate
    codes, rows, names = spec["codes"], spec["rows"], spec["names"]

    def request(session, index):  # type: ignore[no-untyped-def]
        pick = index % len(codes)
        if kind == "rows":
            return session.post("/v1/scores", params={"explain": "true", "top": "10"},
                                json={"rows": [rows[pick % len(rows)]]}, headers=headers)
        if kind == "store":
            return session.post("/v1/scores", params={"explain": "true", "top": "10"},
                                json={"enterprises": [codes[pick]]}, headers=headers)
        if kind == "enterprise":
            return session.get(f"/v1/enterprises/{codes[pick]}", headers=headers)
        if kind == "explanation":
            return session.get(f"/v1/enterprises/{codes[pick]}/explanation",
                               params={"top": "10"}, headers=headers)
        if kind == "search":
            return session.get("/v1/enterprises", params={"q": names[pick % len(names)]},
                               headers=headers)
        return session.post("/invocations", json={
            "dataframe_records": [rows[pick % len(rows)]]})

    result = uvloop.run(open_loop(args.url, rate, args.seconds, request))
    print(json.dumps(result))


def pages_child(args: argparse.Namespace) -> None:
    """Walk the period page by page (1,000 rows) for ``seconds`` with 4 clients, each page's
    JSON parsed for its cursor. The client is aiohttp on uvloop, as for the other phases, so
    that the load process's own parsing takes as little as it can of the cores it shares
    with the server."""
    import aiohttp
    import uvloop

    spec = json.loads(Path(args.spec).read_text())
    headers = {"Authorization": f"Bearer {spec['key']}"}

    async def walker(session: aiohttp.ClientSession, until: float,
                     latencies: list[float], errors: list[str]) -> None:
        cursor = None
        while time.perf_counter() < until:
            started = time.perf_counter()
            params = {"period": spec["period"], "limit": "1000"} | (
                {"cursor": cursor} if cursor else {})
            async with session.get("/v1/classifications", params=params,
                                   headers=headers) as answer:
                body = await answer.read()
            latencies.append(time.perf_counter() - started)
            if answer.status != 200:
                errors.append(f"{answer.status} {body[:200]!r}")
                cursor = None
                continue
            cursor = json.loads(body).get("next_cursor")

    async def run() -> dict[str, float]:
        latencies: list[float] = []
        errors: list[str] = []
        async with aiohttp.ClientSession(args.url, timeout=aiohttp.ClientTimeout(total=60)
                                         ) as session:
            until = time.perf_counter() + args.seconds
            started = time.perf_counter()
            await asyncio.gather(*(walker(session, until, latencies, errors)
                                   for _ in range(4)))
            elapsed = time.perf_counter() - started
        return {"pages": len(latencies), "pages_per_second": len(latencies) / elapsed,
                "p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
                "errors": len(errors), "first_error": errors[0] if errors else ""}

    print(json.dumps(uvloop.run(run())))


def csv_child(args: argparse.Namespace) -> None:
    import httpx

    spec = json.loads(Path(args.spec).read_text())
    headers = {"Authorization": f"Bearer {spec['key']}", "Accept": "text/csv"}
    started = time.perf_counter()
    lines = 0
    with httpx.stream("GET", f"{args.url}/v1/classifications", headers=headers, timeout=600,
                      params={"period": spec["period"]}) as answer:
        for chunk in answer.iter_bytes():
            lines += chunk.count(b"\n")
    print(json.dumps({"rows": lines - 1, "seconds": time.perf_counter() - started,
                      "status": answer.status_code}))


def child(script: str, *arguments: str) -> dict:
    found = subprocess.run([sys.executable, script, *arguments], capture_output=True,
                           text=True, cwd=ROOT, check=True)
    return json.loads(found.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- servers

def free_port() -> int:
    """A port nothing listens on now (the servers bind it a moment later)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, what: str, path: str = "/healthz") -> None:
    import httpx

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        try:
            if httpx.get(url + path, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{what} did not start")


def _tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by ``root`` and its child processes (the workers)."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            pid, parent = int(stat.parent.name), int(fields[1])
            if root in (pid, parent):
                total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def wait_idle(server: subprocess.Popen, limit: float = 300.0) -> float:
    """Wait until the server's processes stop working off requests a phase left queued (an
    overloaded phase would otherwise slow the next one down); the seconds waited."""
    started = time.monotonic()
    quiet, last = 0, _tree_cpu_seconds(server.pid)
    while quiet < 2 and time.monotonic() - started < limit:
        time.sleep(0.5)
        now = _tree_cpu_seconds(server.pid)
        quiet = quiet + 1 if now - last < 0.05 else 0
        last = now
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    province_arguments(parser, 1_000_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--child", choices=["load", "pages", "csv"], help=argparse.SUPPRESS)
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        {"load": load_child, "pages": pages_child, "csv": csv_child}[args.child](args)
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    import httpx
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from features.coverage import data_end
    from features.engines import compute_features
    from features.materialised import materialised_path
    from features.store import Store
    from serving.access.keys import KeyRing
    from serving.access.roles import Role
    from serving.access.secret import load_secret
    from serving.results.store import ResultsStore

    args.work.mkdir(parents=True, exist_ok=True)
    store_dir = cached_store(args.work, args.enterprises, args.months, args.seed)
    version = registered_model(args.work, store_dir, args.enterprises, args.seed)
    database_url, period = published_period(args.work, store_dir, args.enterprises)
    store = Store(store_dir)
    end = data_end(store)
    secret_file = args.work / "service.secret"
    ring = KeyRing(ResultsStore(database_url).engine, load_secret(secret_file))
    key = ring.create(Role.REGULATOR, "service bench")[1]

    sample_file = args.work / f"service-bench-sample-{store.version}-{end}.json"
    if not sample_file.exists():  # 400 enterprises' feature rows, from the batch features
        features = compute_features(store, end)
        rng = random.Random(args.seed)
        picks = sorted(rng.sample(range(features.num_rows), 400))
        sample = features.take(picks)
        del features
        codes = sample["uscc"].to_pylist()
        rows = [{k: v for k, v in row.items() if k != "uscc"} for row in sample.to_pylist()]
        for row, code in zip(rows, codes, strict=True):
            row["uscc"] = code
        names = [name[:4] for name in pq.read_table(store.table_path("enterprises"), columns=[
            "name"]).column("name").take(picks).to_pylist()]
        sample_file.write_text(json.dumps({"codes": codes, "rows": rows, "names": names},
                                          default=str))
    spec = args.work / "service-bench-spec.json"
    spec.write_text(json.dumps(json.loads(sample_file.read_text()) | {
        "key": key, "period": period.isoformat()}))

    port, baseline_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {**os.environ, "ECR_STORE": str(store_dir), "ECR_DATABASE_URL": database_url,
                   "ECR_TRACKING_URI": tracking_uri(args.work, args.enterprises),
                   "ECR_SECRET_FILE": str(secret_file), "ECR_RATE_LIMIT": "1000000/minute"}
    started = time.perf_counter()
    server_log = (args.work / "service-bench-server.log").open("w")  # its JSON lines
    server = subprocess.Popen([sys.executable, "-m", "ecr_cli", "serve", "--port", str(port),
                               "--workers", str(args.workers)], cwd=ROOT, env=environment,
                              stdout=server_log, stderr=subprocess.STDOUT)
    figures: dict[str, dict] = {}
    try:
        wait_ready(url, server, "ecr serve", "/healthz")
        startup = time.perf_counter() - started
        # Scoring by code now reads the features the workers materialise in the background
        # once per store version (kept from an earlier run); measured once they are there.
        derived = materialised_path(store.pinned(), end)
        built_before = derived.exists()
        while not derived.exists() and time.perf_counter() - started < 900:
            time.sleep(1)
        print(f"features at {end} materialised: "
              + ("kept from an earlier run" if built_before else
                 f"{time.perf_counter() - started:.0f} s after the server started"))
        httpx.get(f"{url}/v1/model", headers={"Authorization": f"Bearer {key}"}, timeout=60)
        script = str(Path(__file__))
        common = ["--url", url, "--spec", str(spec), "--seconds", str(args.seconds)]
        for kind in ("rows", "store", "enterprise", "explanation", "search"):
            child(script, "--child", "load", "--kind", kind, "--rate",
                  str(PHASES[kind][1] / 4), "--url", url, "--spec", str(spec), "--seconds",
                  "3")  # warm up every worker
            wait_idle(server)
            figures[kind] = child(script, "--child", "load", "--kind", kind, "--rate",
                                  str(PHASES[kind][1]), *common)
            figures[kind]["drained"] = wait_idle(server)
        figures["pages"] = child(script, "--child", "pages", *common)
        figures["csv"] = child(script, "--child", "csv", *common)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    if not args.no_baseline:
        baseline = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "models", "serve", "-m",
             f"models:/{version}", "--env-manager", "local", "--port", str(baseline_port),
             "--workers", str(args.workers)], cwd=ROOT,
            env={**environment, "MLFLOW_TRACKING_URI": tracking_uri(args.work,
                                                                     args.enterprises),
                 "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"})
        try:
            base_url = f"http://127.0.0.1:{baseline_port}"
            wait_ready(base_url, baseline, "mlflow models serve", "/ping")
            child(script, "--child", "load", "--kind", "mlflow", "--rate", "50", "--url",
                  base_url, "--spec", str(spec), "--seconds", "3")
            figures["mlflow"] = child(script, "--child", "load", "--kind", "mlflow", "--rate",
                                      str(PHASES["mlflow"][1]), "--url", base_url, "--spec",
                                      str(spec), "--seconds", str(args.seconds))
        finally:
            baseline.send_signal(signal.SIGTERM)
            baseline.wait(60)
    report(args, period, version, startup, figures, pc)


def report(args: argparse.Namespace, period: dt.date, version: str, startup: float,
           figures: dict[str, dict], pc: object) -> None:
    print(f"\n{args.enterprises:,} enterprises, period {period}, model {version}, "
          f"{args.workers} workers; start-up to /healthz {startup:.1f} s")
    print(f"{'':52}{'rate':>7}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>8}{'errors':>7}  target")
    bars = {}
    for kind, (title, rate, target) in PHASES.items():
        if kind not in figures:
            continue
        f = figures[kind]
        shown = f"p99 ≤ {target * 1000:.0f} ms" if target else "-"
        print(f"{title:52}{rate:>7}{f['p50'] * 1000:9.1f}{f['p99'] * 1000:9.1f}"
              f"{f['throughput']:8.1f}{f['errors']:>7}  {shown}")
        if f.get("first_error"):
            print(f"    first error: {f['first_error']}")
        if f.get("drained", 0) > 2:
            print(f"    the server worked off its queue for {f['drained']:.0f} s after")
        if target:
            bars[f"{title}: p99 {f['p99'] * 1000:.1f} ms ≤ {target * 1000:.0f} ms, no errors"] = (
                f["p99"] <= target and f["errors"] == 0)
    pages = figures["pages"]
    print(f"classification pages of 1,000 rows: {pages['pages_per_second']:.1f} pages/s "
          f"(p50 {pages['p50'] * 1000:.0f} ms, p99 {pages['p99'] * 1000:.0f} ms)")
    bars[f"pages: {pages['pages_per_second']:.1f}/s ≥ 50"] = pages["pages_per_second"] >= 50
    export = figures["csv"]
    print(f"CSV export of the period: {export['rows']:,} rows in {export['seconds']:.1f} s "
          f"({export['rows'] / export['seconds']:,.0f} rows/s)")
    bars[f"CSV export: {export['seconds']:.1f} s ≤ 30 s"] = export["seconds"] <= 30
    print()
    for text, passed in bars.items():
        print(f"{'PASS' if passed else 'FAIL'}  {text}")


if __name__ == "__main__":
    main()

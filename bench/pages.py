"""Server-side render time of the regulator pages: an enterprise with five years of history.

Builds its own deployment in a work folder: a synthetic province (60 months) in a store, a
model trained on it by the real pipeline and registered as ``champion``, the latest period
classified for real, and 59 earlier monthly periods of made-up results for a handful of
enterprises (the page reads their history; it recomputes only the latest explanation). Then
the app runs in-process (the same ASGI stack as `ecr serve`, middlewares and audit log
included, without the network) and a logged-in regulator opens the enterprise page and its
repair guidance ``--requests`` times each; p50, p95 and max are printed, against the target
of p95 ≤ 300 ms for the enterprise page.

    PYTHONPATH=. python bench/pages.py [--enterprises 2000] [--requests 200] [--work DIR]
        [--reuse]   (with --work: measure a deployment an earlier run built there)

At the 1,000,000-enterprise province of the target, building a 60-month province and
training on it here would take hours; ``--from-service DIR`` measures instead on the
deployment bench/service.py caches in DIR (48 months of records, its production-size model,
its published period), on a copy of its results database given the handful's history:

    PYTHONPATH=. python bench/pages.py --from-service data/bench --enterprises 1000000 \
        --work data/bench/pages
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import mlflow
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from fastapi.testclient import TestClient

from ecr_settings import REGISTERED_MODEL, Settings
from features.ingest import ingest
from features.store import Store
from features.training_set import build_training_set
from models.policy.profiles import profile
from models.registry import ModelRegistry
from serving.access.keys import KeyRing
from serving.access.roles import Role
from serving.access.secret import load_secret
from serving.api.app import create_app
from serving.results.store import ResultsStore
from serving.use_cases import classify_period
from synthetic import generate
from training.pipeline import TrainConfig, train
from training.tracking import configure

LATEST = dt.date(2025, 12, 31)
MONTHS = 60
HANDFUL = 5
TARGET_MS = 300.0


def month_ends(last: dt.date, count: int) -> list[dt.date]:
    """``count`` month ends up to ``last``, oldest first."""
    ends, day = [], last
    for _ in range(count):
        ends.append(day)
        day = day.replace(day=1) - dt.timedelta(days=1)
    return ends[::-1]


def build(work: Path, enterprises: int) -> tuple[Settings, list[str]]:
    """The deployment: store, registered model, results with 60 periods; the handful."""
    generate(work / "province", enterprises=enterprises, months=MONTHS, seed=5,
             end_month="2025-12")
    store = Store(work / "store")
    ingest([work / "province"], store, today=dt.date(2026, 1, 20))
    tracking = f"sqlite:///{work}/mlflow.db"
    configure(tracking)
    table = work / "training-set.parquet"
    build_training_set(store, table, [dt.date(2024, m, 1) - dt.timedelta(days=1)
                                      for m in range(7, 13)])
    trained = train(TrainConfig(table=table, test_periods=2, valid_periods=2, train_periods=0,
                                embargo=0, baseline=False, register=False),
                    report=lambda _: None)
    client = mlflow.MlflowClient(tracking_uri=tracking, registry_uri=tracking)
    with contextlib.suppress(mlflow.exceptions.MlflowException):
        client.create_registered_model(REGISTERED_MODEL)
    registry = ModelRegistry(tracking)
    source = registry._resolve(trained.model_uri)[2]
    run_id = registry.version(trained.model_uri)[1]
    version = client.create_model_version(REGISTERED_MODEL, source, run_id=run_id)
    client.set_registered_model_alias(REGISTERED_MODEL, "champion", version.version)
    settings = settings_of(work)
    results = ResultsStore(settings.database_url).migrate()
    loaded = registry.load(settings.model_uri)
    classify_period(store, results, loaded, LATEST, profile())
    results.engine.dispose()
    return settings, with_history(settings, store, LATEST)


def from_service(service_work: Path, enterprises: int, work: Path, reuse: bool
                 ) -> tuple[Settings, list[str]]:
    """The deployment bench/service.py built in ``service_work`` (its store, its registered
    model, its published period), with a copy of its results database in ``work`` given the
    handful's five years of history (with ``reuse``: the copy an earlier run made)."""
    from measure import cached_store
    from service import published_period, registered_model, tracking_uri

    store_dir = cached_store(service_work, enterprises, 48, 7)
    copy = work / "results.db"
    settings = Settings(store=store_dir, tracking_uri=tracking_uri(service_work, enterprises),
                        database_url=f"sqlite:///{copy}", secret_file=work / "service.secret",
                        rate_limit="1000000/minute")
    if reuse:
        return settings, (work / "handful.txt").read_text().split()
    registered_model(service_work, store_dir, enterprises, 7)
    url, period = published_period(service_work, store_dir, enterprises)
    shutil.copyfile(url.removeprefix("sqlite:///"), copy)
    return settings, with_history(settings, Store(store_dir), period)


def with_history(settings: Settings, store: Store, latest_period: dt.date) -> list[str]:
    """59 monthly periods of made-up results before ``latest_period`` for a handful of its
    enterprises (the pages read their history); the handful's codes."""
    results = ResultsStore(settings.database_url).migrate()
    loaded = ModelRegistry(settings.tracking_uri).load(settings.model_uri)
    latest = results.published_results(latest_period)
    chosen = latest.take(np.arange(0, latest.num_rows, latest.num_rows // HANDFUL)[:HANDFUL])
    rng = np.random.default_rng(3)
    for period in month_ends(latest_period, MONTHS)[:-1]:
        scores = np.clip(chosen["final_score"].to_numpy() + rng.normal(0, 60, HANDFUL), 0, 999)
        levels = np.asarray(list("ABCD"))[profile().levels_of(scores)]
        rows = chosen.set_column(chosen.column_names.index("period"), "period",
                                 pa.array([period] * HANDFUL, pa.date32()))
        for name, values in (("final_score", scores), ("model_score", scores),
                             ("risk_level", levels), ("model_level", levels),
                             ("class_label", levels)):
            rows = rows.set_column(rows.column_names.index(name), name,
                                   pa.array(values).cast(rows.schema.field(name).type))
        run = results.begin_run(period, "monthly", settings.model_uri, loaded.version,
                                loaded.rules_version, profile().key, "sha256:made-up",
                                store.version or "")
        results.write_results(run, rows)
        results.publish(run)
    results.engine.dispose()
    return pc.unique(chosen["uscc"]).to_pylist()


def settings_of(work: Path) -> Settings:
    return Settings(store=work / "store", tracking_uri=f"sqlite:///{work}/mlflow.db",
                    database_url=f"sqlite:///{work}/results.db",
                    secret_file=work / "service.secret", rate_limit="1000000/minute")


def built(work: Path) -> tuple[Settings, list[str]]:
    """The deployment an earlier run built in ``work``."""
    return settings_of(work), (work / "handful.txt").read_text().split()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def measure(client: TestClient, path: str, requests: int) -> list[float]:
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--from-service", type=Path, default=None, metavar="DIR",
                        help="measure on the deployment bench/service.py built in DIR "
                             "(--enterprises of it, e.g. 1000000)")
    args = parser.parse_args()
    if args.reuse and args.work is None:
        parser.error("--reuse needs --work")
    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        if args.from_service:
            settings, handful = from_service(args.from_service, args.enterprises, work,
                                             args.reuse)
            (work / "handful.txt").write_text("\n".join(handful))
        elif args.reuse:
            settings, handful = built(work)
        else:
            settings, handful = build(work, args.enterprises)
            (work / "handful.txt").write_text("\n".join(handful))
        print(f"built in {time.perf_counter() - started:.0f} s: {args.enterprises} "
              f"enterprises, {MONTHS} periods for {len(handful)} of them")
        ring = KeyRing(ResultsStore(settings.database_url).engine,
                       load_secret(settings.secret_file))
        key = ring.create(Role.REGULATOR, "bench")[1]
        with TestClient(create_app(settings)) as client:
            form = client.get("/pages/login")
            token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
            login = client.post("/pages/login", data={"csrf": token, "key": key},
                                follow_redirects=False)
            assert login.status_code == 303, login.text
            for uscc in handful:  # warm: the model version, the compiled features
                page = client.get(f"/pages/enterprises/{uscc}").text
                table = page.split('id="history-table"')[1].split("</table>")[0]
                assert table.count("<tr><td>") >= MONTHS, "five years of history"
            for name, suffix in (("enterprise page", ""), ("repair guidance", "/repair")):
                times: list[float] = []
                for uscc in handful:
                    times += measure(client, f"/pages/enterprises/{uscc}{suffix}",
                                     max(1, args.requests // len(handful)))
                p95 = percentile(times, 95)
                verdict = ("" if suffix else
                           f"  (target p95 ≤ {TARGET_MS:.0f} ms: "
                           f"{'met' if p95 <= TARGET_MS else 'MISSED'})")
                print(f"{name:16s} {len(times):4d} requests  p50 "
                      f"{statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms  max "
                      f"{max(times):7.1f} ms{verdict}")


if __name__ == "__main__":
    main()

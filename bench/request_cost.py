"""Benchmark: the CPU one request costs through the service's whole ASGI stack (key check,
rate limit, audit log, metrics, logs, the route and its use case), in process: no sockets, no
load generator, so the figure is the server's own work per request, from which the rate two
workers can sustain on two cores follows (`bench/service.py` measures that rate over HTTP).

Run `bench/service.py` first: it caches the province, store, model, published period and a
sample of 400 enterprises (with a regulator key) under --work.

    .venv/bin/python bench/request_cost.py --work data/bench [--enterprises 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

from measure import ROOT, province_arguments

KINDS = ("enterprise", "explanation", "rows", "page")


def environment(work: Path, enterprises: int) -> dict[str, str]:
    return {"ECR_STORE": str(work / f"store-{enterprises}-48-7"),
            "ECR_DATABASE_URL": f"sqlite:///{work}/service-results-{enterprises}.db",
            "ECR_TRACKING_URI": f"sqlite:///{work}/service-mlflow-{enterprises}/mlflow.db",
            "ECR_SECRET_FILE": str(work / "service.secret"),
            "ECR_RATE_LIMIT": "1000000/minute", "ECR_MATERIALISE_FEATURES": "false"}


def request_of(kind: str, spec: dict, i: int) -> tuple[str, str, bytes, bytes]:
    """(method, path, query, body) of the ``i``-th request of ``kind``."""
    code = spec["codes"][i % len(spec["codes"])]
    if kind == "enterprise":
        return "GET", f"/v1/enterprises/{code}", b"", b""
    if kind == "explanation":
        return "GET", f"/v1/enterprises/{code}/explanation", b"top=10", b""
    if kind == "rows":
        body = json.dumps({"rows": [spec["rows"][i % len(spec["rows"])]]}).encode()
        return "POST", "/v1/scores", b"explain=true&top=10", body
    return "GET", "/v1/classifications", f"period={spec['period']}&limit=1000".encode(), b""


async def measure(app: object, spec: dict, kind: str, requests: int) -> dict[str, float]:
    async def one(i: int) -> None:
        method, path, query, body = request_of(kind, spec, i)
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
                 "query_string": query, "root_path": "", "client": ("127.0.0.1", 1),
                 "server": ("127.0.0.1", 80), "state": {},
                 "headers": [(b"host", b"bench"),
                             (b"authorization", f"Bearer {spec['key']}".encode()),
                             (b"content-type", b"application/json"),
                             (b"content-length", str(len(body)).encode())]}
        delivered = False

        async def receive() -> dict:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            return {}

        status: list[int] = []

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)  # type: ignore[operator]
        if status[0] >= 400:
            raise RuntimeError(f"{method} {path}: status {status[0]}")

    async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
        for i in range(min(50, requests)):
            await one(i)
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(requests):
            await one(i)
        sequential = (time.process_time() - cpu) / requests, (time.perf_counter() - wall)
        cpu = time.process_time()
        for start in range(0, requests, 8):
            await asyncio.gather(*(one(i) for i in range(start, min(start + 8, requests))))
        concurrent = (time.process_time() - cpu) / requests
    return {"cpu_ms": sequential[0] * 1000, "wall_ms": sequential[1] / requests * 1000,
            "cpu_ms_8_concurrent": concurrent * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    province_arguments(parser, 1_000_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--kind", choices=KINDS, action="append")
    args = parser.parse_args()
    os.environ.update(environment(args.work, args.enterprises))
    os.chdir(ROOT)
    import structlog
    import uvloop

    from ecr_settings import Settings
    from serving.api.app import create_app
    from serving.api.observability import configure_logging

    configure_logging()  # as `ecr serve`: JSON lines, each rendered and written (to nowhere)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(
        file=open(os.devnull, "w")))  # noqa: SIM115 - open for the whole run
    spec = json.loads((args.work / "service-bench-spec.json").read_text())
    print(f"{args.enterprises:,} enterprises; CPU of this process per request, through the "
          f"whole ASGI stack (access log written to /dev/null)")
    for kind in args.kind or KINDS:
        requests = args.requests if kind != "page" else max(1, args.requests // 10)
        found = uvloop.run(measure(create_app(Settings()), spec, kind, requests))
        print(f"{kind:12s} {found['cpu_ms']:7.2f} ms CPU a request one at a time "
              f"({found['wall_ms']:.2f} ms wall), {found['cpu_ms_8_concurrent']:.2f} ms with "
              f"8 in flight; two workers on two cores: ≤ {2000 / found['cpu_ms']:,.0f} "
              f"requests/s before the load generator's share")


if __name__ == "__main__":
    main()

"""Structured JSON logs with request ids, Prometheus metrics, and security headers.

Logs never carry a key, a query string or a body: a line names the route template, the
status, the duration, the request id and the key id.
"""

from __future__ import annotations

import logging
import os
import time

import structlog
from asgi_correlation_id import correlation_id
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"strict-transport-security", b"max-age=31536000"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
"""Results are internal: nothing is cached, framed, sniffed or sent on as a referrer."""

REQUESTS = Counter("ecr_http_requests_total", "HTTP requests answered.",
                   ["method", "route", "status"])
LATENCY = Histogram("ecr_http_request_seconds", "Time to the start of the response.",
                    ["method", "route"],
                    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10))


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr, each with the request id when there is one."""

    def add_request_id(_: object, __: str, event: dict) -> dict:
        request_id = correlation_id.get()
        if request_id:
            event["request_id"] = request_id
        return event

    logging.basicConfig(format="%(message)s", level=level)
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, add_request_id,
                    structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.JSONRenderer(ensure_ascii=False)],
        logger_factory=structlog.PrintLoggerFactory(), cache_logger_on_first_use=True)


def metrics_payload() -> tuple[bytes, str]:
    """This process's metrics, or every worker's when uvicorn runs several
    (``PROMETHEUS_MULTIPROC_DIR``, set by `ecr serve`)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


class Observe:
    """Pure ASGI middleware: security headers, one log line and metrics per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = structlog.get_logger("ecr.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                extra = [h for h in SECURITY_HEADERS if h[0] not in present]
                message["headers"] = [*message.get("headers", []), *extra]
                route = getattr(scope.get("route"), "path", "unmatched")
                elapsed = time.perf_counter() - started
                REQUESTS.labels(scope["method"], route, message["status"]).inc()
                LATENCY.labels(scope["method"], route).observe(elapsed)
                audit = scope.get("state", {}).get("audit")
                self.log.info("request", method=scope["method"], route=route,
                              status=message["status"], ms=round(elapsed * 1000, 2),
                              key_id=getattr(audit, "key_id", None))
            await send(message)

        await self.app(scope, receive, sending)

"""The audit trail of the service: one append-only entry per request under ``/v1`` and
``/metrics``, written *before* the response starts, so nothing is served that was not
recorded (if the entry cannot be written, the caller gets 503 instead of the data). Entries
go through the app's `AuditWriter` (``app.state.audit_writer``), which commits concurrent
requests' entries together.

The entry holds the key id and role (never the key), the route template, the path and query
parameters (never headers or bodies), the status, the rows returned or written, and the
request id. Routes say how many rows they return through `AuditDraft.rows`; the security
dependency fills in who called and, for a refusal, why.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import structlog
from asgi_correlation_id import correlation_id
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.access.audit import AuditEntry

AUDITED_PREFIXES = ("/v1/", "/metrics", "/pages")  # /pages: every page view too
log = structlog.get_logger("ecr.audit")


@dataclass
class AuditDraft:
    key_id: str | None = None
    role: str | None = None
    permission: str | None = None
    outcome: str | None = None
    """Why a request was refused before the route ran (unauthenticated: reason, …)."""
    rows: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Parameters a route adds (e.g. the number of USCCs scored; never personal data)."""


def _parameters(scope: Scope, draft: AuditDraft) -> dict[str, Any]:
    from urllib.parse import parse_qsl

    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    found: dict[str, Any] = {"path": dict(scope.get("path_params") or {})}
    if query:
        found["query"] = {k: v for k, v in query}
    if draft.permission:
        found["permission"] = draft.permission
    if draft.outcome:
        found["outcome"] = draft.outcome
    return found | draft.extra


class AuditTrail:
    """Pure ASGI middleware (it must see streamed responses start, which
    ``BaseHTTPMiddleware`` hides)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(AUDITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        draft = AuditDraft()
        scope.setdefault("state", {})["audit"] = draft
        failed = False

        async def sending(message: Message) -> None:
            nonlocal failed
            if message["type"] == "http.response.start":
                status = message["status"]
                route = scope.get("route")
                entry = AuditEntry(
                    at=dt.datetime.now(dt.UTC), key_id=draft.key_id, role=draft.role,
                    method=scope["method"], route=getattr(route, "path", scope["path"])[:200],
                    parameters=_parameters(scope, draft), status=status,
                    rows=draft.rows if draft.rows is not None and status < 400 else 0,
                    request_id=correlation_id.get() or "-")
                try:
                    await scope["app"].state.audit_writer.write(entry)
                except Exception as error:
                    log.error("audit entry not written; request refused",
                              error=type(error).__name__)
                    failed = True
                    body = json.dumps({"type": "about:blank", "title": "Service unavailable",
                                       "status": 503,
                                       "detail": "the audit log cannot be written"}).encode()
                    await send({"type": "http.response.start", "status": 503,
                                "headers": [(b"content-type", b"application/problem+json"),
                                            (b"content-length", str(len(body)).encode())]})
                    await send({"type": "http.response.body", "body": body})
                    return
            elif failed:
                return
            await send(message)

        await self.app(scope, receive, sending)

"""The FastAPI application: `create_app(settings)` for tests and `ecr serve`, and
`app_from_environment()` for uvicorn's workers (settings from ``ECR_*``)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse

from ecr_settings import Settings
from serving.access.roles import Permission
from serving.api import problems
from serving.api.audit_trail import AuditTrail
from serving.api.audit_writer import AuditWriter
from serving.api.body_limit import BodyLimit
from serving.api.observability import Observe, configure_logging
from serving.api.routes import ROUTERS
from serving.api.security import Caller, require
from serving.api.state import ServiceState
from serving.pages import mount_pages

GC_YOUNG = 20_000
"""Allocations (minus deallocations) before a young-generation collection (CPython: 700)."""
DESCRIPTION = """Scores, classes A–D and their explanations for every enterprise, for the
sampling module (抽查系统) and regulators. **Results are internal** (不得向社会和企业公开):
every operation but `/healthz` needs an API key (`Authorization: Bearer KEY`, from
`ecr keys create`), is limited to the key's role and region, and is recorded in the audit log.
Errors are RFC 9457 problem details."""


def create_app(settings: Settings, state: ServiceState | None = None) -> FastAPI:
    """The service over ``settings`` (or over an already opened ``state``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = state or ServiceState.open(settings)
        app.state.audit_writer = AuditWriter(app.state.service.audit)
        settle_heap()
        yield
        app.state.service.results.engine.dispose()

    app = FastAPI(title="enterprise-credit-risk", version="1", description=DESCRIPTION,
                  lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    mount_pages(app)  # the regulator pages: /pages (and / redirects there), /assets

    @app.get("/v1/openapi.json", include_in_schema=False)
    def openapi(_: Caller = Depends(require(Permission.READ_MODEL))) -> JSONResponse:
        """The schema, for key holders only (no browsable docs: they would load assets from
        a CDN, which isolated government networks cannot reach)."""
        return JSONResponse(app.openapi())
    app.add_middleware(AuditTrail)
    app.add_middleware(BodyLimit)
    app.add_middleware(Observe)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    return app


def settle_heap() -> None:
    """Move everything loaded at start-up (model, feature definitions, libraries) out of the
    garbage collector's sight, and let the youngest generation fill to `GC_YOUNG` objects
    before a collection: a page of 1,000 results allocates tens of thousands of short-lived
    objects, and each full collection would otherwise walk the whole loaded heap again."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, older, oldest)


def app_from_environment() -> FastAPI:
    """uvicorn's factory (``--factory``): settings from the environment."""
    settings = Settings()
    configure_logging()
    return create_app(settings)

"""Liveness (no key), readiness and metrics."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from serving.access.roles import Permission
from serving.api.observability import metrics_payload
from serving.api.schemas.model import Health, Readiness
from serving.api.security import Caller, require, service
from serving.api.state import ServiceState

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up (no key).")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness,
            responses={503: {"model": Readiness, "description": "Something is unreachable."}},
            summary="The store, the results database and the model are reachable.")
def readyz(state: ServiceState = Depends(service)) -> JSONResponse:
    checks = {}
    checks["store"] = "ok" if state.store.version is not None else "no published version"
    try:
        with state.results.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        checks["results"] = "ok"
    except sa.exc.SQLAlchemyError as error:
        checks["results"] = type(error).__name__
    checks["model"] = "ok" if state.models.status.state != "loading" or state.models.current \
        else "loading"
    ready = all(value == "ok" for value in checks.values())
    body = Readiness(status="ready" if ready else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics (admin).",
            responses={200: {"content": {"text/plain": {}}}})
def metrics(_: Caller = Depends(require(Permission.READ_METRICS))) -> Response:
    payload, content_type = metrics_payload()
    return Response(payload, media_type=content_type)

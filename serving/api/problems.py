"""Errors as RFC 9457 problem details (``application/problem+json``), naming the field.

Every refusal the service makes goes through here: the use cases' `NotFound` (404) and
`InvalidRequest` (422), request validation (422, one entry per field with a JSON pointer),
authentication (401 with ``WWW-Authenticate``), authorisation (403), size (413), rate (429
with ``Retry-After``) and any HTTP error Starlette raises itself (404 for an unknown path,
405…). An unexpected exception is logged with the request id and answered as a bare 500
problem that discloses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from serving.use_cases.errors import InvalidRequest, NotFound

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://enterprise-credit-risk.example/problems/"
"""Problem types are documented names, not pages that must resolve (RFC 9457 §3.1.1)."""

TITLES = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 406: "Not acceptable", 409: "Conflict",
          413: "Request too large", 415: "Unsupported media type", 422: "Invalid request",
          429: "Too many requests", 500: "Internal error", 503: "Service unavailable"}
TYPES = {400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
         405: "method-not-allowed", 406: "not-acceptable", 409: "conflict",
         413: "too-large", 415: "unsupported-media-type", 422: "invalid-request",
         429: "rate-limited", 500: "internal", 503: "unavailable"}

log = structlog.get_logger("ecr.service")


class FieldError(BaseModel):
    """One field the request got wrong."""

    pointer: str = Field(description="JSON pointer (body) or name (query, path, header).",
                         examples=["/enterprises/0/uscc"])
    location: str = Field(examples=["body"])
    message: str = Field(examples=["expected an 18-character USCC, found 'ABC'"])


class ProblemDetails(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=[TYPE_BASE + "not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["no classification is published for 2025-10-31"])
    instance: str | None = Field(None, examples=["/v1/classifications"])
    request_id: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


class Problem(Exception):
    """A refusal with its status, detail and, optionally, the fields at fault."""

    def __init__(self, status: int, detail: str, errors: Sequence[FieldError] = (),
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail
        self.errors, self.headers = list(errors), dict(headers or {})


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting the problems a route may answer."""
    return {status: {"model": ProblemDetails, "description": TITLES[status],
                     "content": {PROBLEM_JSON: {"schema": {
                         "$ref": "#/components/schemas/ProblemDetails"}}}}
            for status in statuses}


COMMON = (401, 403, 422, 429)
"""What every keyed route may answer: no key, wrong role, invalid parameters, too fast."""


def problem_response(request: Request, status: int, detail: str,
                     errors: Sequence[FieldError] = (),
                     headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = ProblemDetails(type=TYPE_BASE + TYPES.get(status, "error"),
                          title=TITLES.get(status, "Error"), status=status, detail=detail,
                          instance=request.url.path,
                          request_id=request.headers.get("x-request-id")
                          or getattr(request.state, "request_id", None),
                          errors=list(errors))
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status,
                        headers=dict(headers or {}), media_type=PROBLEM_JSON)


def _pointer(location: Sequence[Any]) -> tuple[str, str]:
    where = str(location[0]) if location else "body"
    rest = [str(part) for part in location[1:]]
    if where == "body":
        return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in rest), where
    return ".".join(rest) or where, where


def validation_errors(error: RequestValidationError) -> list[FieldError]:
    found = []
    for item in error.errors():
        pointer, where = _pointer(item.get("loc", ()))
        given = item.get("input")
        shown = "" if isinstance(given, dict | list) or given is None else f", found {given!r}"
        found.append(FieldError(pointer=pointer, location=where,
                                message=f"{item.get('msg', 'invalid')}{shown}"[:300]))
    return found


def install(app: FastAPI) -> None:
    """Register the handlers that turn every refusal into problem details."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, error: Problem) -> JSONResponse:
        return problem_response(request, error.status, error.detail, error.errors,
                                error.headers)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, error: NotFound) -> JSONResponse:
        return problem_response(request, 404, str(error))

    @app.exception_handler(InvalidRequest)
    async def _invalid(request: Request, error: InvalidRequest) -> JSONResponse:
        errors = [FieldError(**e) for e in getattr(error, "field_errors", ())]
        return problem_response(request, 422, str(error), errors)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = validation_errors(error)
        detail = "; ".join(f"{e.location} {e.pointer}: {e.message}" for e in errors[:3])
        return problem_response(request, 422, detail or "invalid request", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        detail = error.detail if isinstance(error.detail, str) else TITLES.get(
            error.status_code, "error")
        return problem_response(request, error.status_code, detail,
                                headers=getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.error("unexpected error", error=type(error).__name__,
                  route=request.scope.get("route").path if request.scope.get("route")
                  else None)
        return problem_response(request, 500, "the service failed to answer this request; "
                                              "the error is logged under the request id")

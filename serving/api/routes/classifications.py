"""Published periods and classifications: pages by keyset cursor, or a whole period as CSV."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from features.reference.industries import valid_industry_codes
from features.reference.record_types import DOMAINS
from serving.access.roles import Permission
from serving.api.documents import DocumentResponse
from serving.api.problems import COMMON, problem_responses
from serving.api.schemas.results import ClassificationPagePublic, PeriodsPublic, page_document
from serving.api.security import Caller, require, service
from serving.api.state import ServiceState
from serving.use_cases import classification_csv, classification_page, published_periods

Domain = Literal[DOMAINS]  # type: ignore[valid-type]
Industry = Literal[tuple(sorted(valid_industry_codes()))]  # type: ignore[valid-type]
router = APIRouter(prefix="/v1", tags=["classifications"],
                   responses=problem_responses(404, *COMMON))
CSV = "text/csv"


@router.get("/periods", response_model=PeriodsPublic, summary="Published periods.")
def periods(request: Request, state: ServiceState = Depends(service),
            _: Caller = Depends(require(Permission.READ_CLASSIFICATIONS))) -> PeriodsPublic:
    found = published_periods(state.results)
    request.state.audit.rows = len(found)
    return PeriodsPublic(periods=found)


@router.get(
    "/classifications", response_model=ClassificationPagePublic,
    responses={200: {"content": {CSV: {"example": "uscc,period,final_score,…\n"}},
                     "description": "A page as JSON, or the whole period as CSV "
                                    "(`Accept: text/csv`)."}},
    summary="A published period's classifications, in USCC order.")
async def classifications(
    request: Request,
    period: Annotated[dt.date, Query(description="A published period (month end).",
                                     examples=["2025-12-31"])],
    risk_class: Annotated[Literal["A", "B", "C", "D"] | None, Query(
        alias="class", description="Internal level A–D.")] = None,
    region: Annotated[str | None, Query(pattern=r"^\d{2,6}$",
                                        description="Division-code prefix.")] = None,
    industry: Annotated[Industry | None, Query(
        description="GB/T 4754 section letter or division (C13).")] = None,
    domain: Annotated[Domain | None, Query(description="Professional supervision domain."
                                           )] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    state: ServiceState = Depends(service),
    caller: Caller = Depends(require(Permission.READ_CLASSIFICATIONS)),
) -> DocumentResponse | StreamingResponse:
    filters = {"risk_level": risk_class, "region": region,
               "industry": industry, "domain": domain}
    if CSV in request.headers.get("accept", ""):
        export = await run_in_threadpool(classification_csv, state.results, period,
                                         caller.scope, **filters)
        request.state.audit.rows = export.rows
        return StreamingResponse(export.chunks, media_type=f"{CSV}; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="classifications-{period}.csv"'})

    def answer() -> tuple[int, DocumentResponse]:
        page = classification_page(state.results, period, caller.scope, cursor=cursor,
                                   limit=limit, **filters)
        return len(page.items), DocumentResponse(page_document(
            period, page.items, page.next_cursor, state.profile))

    # a page waits for its turn on the event loop, holding no thread (ServiceState.heavy)
    request.state.audit.rows, response = await anyio.to_thread.run_sync(
        answer, limiter=state.heavy)
    return response

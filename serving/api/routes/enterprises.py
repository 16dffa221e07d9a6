"""One enterprise: its latest result and history, its explanation, and search."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Path, Query, Request

from serving.access.roles import Permission
from serving.api.documents import DocumentResponse, ModelResponse
from serving.api.problems import COMMON, problem_responses
from serving.api.schemas.enterprises import EnterpriseMatchPublic, SearchPublic
from serving.api.schemas.explanation import ExplanationPublic
from serving.api.schemas.results import EnterprisePublic, enterprise_document
from serving.api.security import Caller, require, service
from serving.api.state import ServiceState
from serving.use_cases import enterprise_record, explain_published, search_enterprises

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"],
                   responses=problem_responses(404, *COMMON))
USCC = Annotated[str, Path(min_length=18, max_length=18, pattern="^[0-9A-Za-z]{18}$",
                           description="Unified social credit code.",
                           examples=["91410100MA44C3XK1B"])]


@router.get("", response_model=SearchPublic, summary="Search by USCC or name prefix.")
def search(request: Request,
           q: Annotated[str, Query(min_length=2, max_length=60, pattern=r"\S.*\S",
                                   description="A USCC prefix or the start of a name "
                                               "(2 characters at least, not counting "
                                               "surrounding spaces).")],
           limit: Annotated[int, Query(ge=1, le=100)] = 20,
           state: ServiceState = Depends(service),
           caller: Caller = Depends(require(Permission.SEARCH_ENTERPRISES))) -> SearchPublic:
    found = search_enterprises(state.results, state.features.directory, q, caller.scope,
                               limit)
    request.state.audit.rows = len(found)
    return SearchPublic(items=[EnterpriseMatchPublic(**vars(match)) for match in found])


@router.get("/{uscc}", response_model=EnterprisePublic,
            summary="The latest published result and the full history, with the versions "
                    "behind each.")
def enterprise(request: Request, uscc: USCC, state: ServiceState = Depends(service),
               caller: Caller = Depends(require(Permission.READ_HISTORY))) -> DocumentResponse:
    record = enterprise_record(state.results, uscc, caller.scope)
    request.state.audit.rows = len(record.history)
    return DocumentResponse(enterprise_document(record.latest, record.history, state.profile))


@router.get("/{uscc}/explanation", response_model=ExplanationPublic,
            summary="Why the enterprise got its class in a published period, in score points "
                    "that add up to its final score.")
async def explanation(request: Request, uscc: USCC,
                      period: Annotated[dt.date | None, Query(
                          description="A published period; the latest when omitted.")] = None,
                      top: Annotated[int | None, Query(ge=1, le=500, description=(
                          "Show the largest features and sum the rest in one line."))] = None,
                      state: ServiceState = Depends(service),
                      caller: Caller = Depends(require(Permission.READ_EXPLANATIONS))
                      ) -> ModelResponse:
    def answer() -> ModelResponse:
        explained = explain_published(state.results, state.store.pinned(),
                                      state.model_of_version, uscc, period, caller.scope,
                                      state.features.current)
        return ModelResponse(ExplanationPublic.of(explained.explanation,
                                                  explained.model_version, top,
                                                  explained.features_source))

    # it waits for its turn on the event loop, holding no thread (ServiceState.heavy)
    response = await anyio.to_thread.run_sync(answer, limiter=state.heavy)
    request.state.audit.rows = 1
    return response

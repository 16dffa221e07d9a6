"""Spot-check results coming back: validated by the data contract, into the store through
the ingest path (all or nothing), idempotent under ``Idempotency-Key``, re-scored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from features.store import StoreBusy
from serving.access.roles import Permission
from serving.api.problems import COMMON, FieldError, Problem, problem_responses
from serving.api.routes.warnings import public_warning
from serving.api.schemas.inspections import InspectionBatchCreate, InspectionOutcomePublic
from serving.api.security import Caller, require, service
from serving.api.state import ServiceState
from serving.results.idempotency import (
    IdempotencyConflict,
    IdempotencyInProgress,
    IdempotencyRecords,
    with_idempotency,
)
from serving.use_cases import (
    InspectionResult,
    InvalidRequest,
    InvalidSubmission,
    record_inspection_results,
)
from serving.use_cases.dispositions import warning_id_of

router = APIRouter(prefix="/v1", tags=["inspections"],
                   responses=problem_responses(409, 503, *COMMON))
ROUTE = "/v1/inspection-results"


@router.post("/inspection-results", status_code=201, response_model=InspectionOutcomePublic,
             summary="Record spot-check results (all or none) and re-score the enterprises.")
def inspection_results(
    request: Request, body: InspectionBatchCreate,
    idempotency_key: Annotated[str | None, Header(
        max_length=200, description="Retries with the same key and body get the first "
                                    "answer and change nothing.")] = None,
    state: ServiceState = Depends(service),
    caller: Caller = Depends(require(Permission.WRITE_INSPECTIONS)),
) -> JSONResponse:
    if not body.results:
        raise Problem(422, "results: expected 1 to 10,000 spot-check results, found none",
                      [FieldError(pointer="/results", location="body",
                                  message="at least one result")])
    submissions = [InspectionResult(**item.model_dump()) for item in body.results]

    def run() -> tuple[int, dict]:
        outcome = record_inspection_results(
            state.store, state.results, state.models.current.loaded, state.profile,
            submissions, source="api", region=caller.key.region)
        warnings = outcome.warnings
        public = InspectionOutcomePublic(
            accepted=outcome.accepted, inspections_inserted=outcome.inspections.inserted,
            inspections_updated=outcome.inspections.updated,
            inspections_unchanged=outcome.inspections.unchanged,
            store_version=outcome.store_version, published=outcome.published,
            rescored=outcome.rescore.rescored if outcome.rescore else 0,
            rescore_problem=outcome.rescore_problem,
            warnings=[public_warning(w, warning_id_of(w.period, w.uscc), None)
                      for w in warnings])
        return 201, public.model_dump(mode="json")

    try:
        status, answer, replayed = with_idempotency(
            IdempotencyRecords(state.results.engine), caller.key.key_id, idempotency_key,
            ROUTE, body.model_dump_json().encode(), run)
    except InvalidSubmission as error:
        raise Problem(422, str(error), [
            FieldError(pointer=f"/results/{e.index}/{e.field}", location="body",
                       message=e.message) for e in error.errors]) from None
    except IdempotencyConflict as error:
        raise Problem(422, str(error)) from None
    except IdempotencyInProgress as error:
        raise Problem(409, str(error), headers={"Retry-After": "5"}) from None
    except StoreBusy as error:
        raise Problem(503, f"the store is busy with another ingest: {error}",
                      headers={"Retry-After": "30"}) from None
    except InvalidRequest:
        raise
    except ValueError as error:  # a malformed Idempotency-Key
        raise Problem(422, str(error), [FieldError(pointer="Idempotency-Key",
                                                   location="header", message=str(error))]
                      ) from None
    request.state.audit.rows = answer.get("accepted", 0)
    request.state.audit.extra["replayed"] = replayed
    return JSONResponse(answer, status_code=status,
                        headers={"Idempotent-Replayed": "true"} if replayed else None)

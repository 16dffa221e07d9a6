"""双随机 draws: create one over a published period, read, list, cancel, follow its progress,
and the effect table; every route calls a use case and maps its answer."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from serving.access.roles import Permission
from serving.api.problems import COMMON, FieldError, Problem, problem_responses
from serving.api.schemas.draws import (
    CancellationCreate,
    CancellationPublic,
    DrawCreate,
    DrawPublic,
    DrawRecordPublic,
    DrawsPublic,
    DrawSummaryPublic,
    EffectPublic,
    EffectRowPublic,
    ExclusionPublic,
    InspectorPublic,
    MemberPublic,
    ProgressPublic,
    TargetProgressPublic,
    TargetPublic,
)
from serving.api.security import Caller, require, service
from serving.api.state import ServiceState
from serving.sampling.catalogue import Catalogue, catalogue
from serving.use_cases.draw_population import Filters
from serving.use_cases.draws import (
    Conflict,
    DrawRequest,
    DrawView,
    StaffingFailed,
    cancel_draw,
    create_draw,
    list_draws,
    published_record,
    read_draw,
)
from serving.use_cases.sampling_effect import draw_progress, sampling_effect

router = APIRouter(prefix="/v1/sampling", tags=["sampling"],
                   responses=problem_responses(404, 409, *COMMON))
DrawId = Annotated[str, Path(max_length=40, pattern=r"^DRW-\d{8}-[0-9a-f]{12}$",
                             examples=["DRW-20251231-3f9a0c1d2e4b"])]


def items_catalogue(state: ServiceState) -> Catalogue:
    return catalogue(state.settings.items_catalogue)


def summary(view: DrawView) -> dict:
    draw = view.draw
    cancelled = view.cancellation
    return {"draw_id": draw.draw_id, "period": draw.period, "task": draw.task,
            "mode": draw.mode, "region": draw.region, "status": view.status,
            "created_at": draw.created_at, "author": draw.author,
            "population": draw.population, "targets": draw.targets,
            "counts": view.record["counts"] if not view.targets else view.counts(),
            "key_targets": len(view.record["forced"]),
            "population_sha256": draw.population_sha256, "record_sha256": draw.record_sha256,
            "cancellation": CancellationPublic(**vars(cancelled)) if cancelled else None}


def public_draw(view: DrawView) -> DrawPublic:
    return DrawPublic(
        **summary(view), record=view.record,
        items=[TargetPublic(uscc=t.uscc, risk_level=t.risk_level, region_code=t.region_code,
                            part=t.part, reason=t.reason, batch=t.batch, position=t.position,
                            rank_sha256=t.rank_sha256, items=list(t.items),
                            inspectors=[InspectorPublic(inspector_id=a.inspector_id,
                                                        unit=a.unit, department=a.department)
                                        for a in t.inspectors])
               for t in view.targets],
        exclusions=[ExclusionPublic(**vars(e)) for e in view.exclusions])


@router.post("/draws", status_code=201, response_model=DrawPublic,
             summary="Draw a campaign over a published period (409 when it is not).")
def create(request: Request, body: DrawCreate, state: ServiceState = Depends(service),
           caller: Caller = Depends(require(Permission.CREATE_DRAWS))) -> DrawPublic:
    settings = state.settings
    wanted = DrawRequest(
        period=body.period, task=body.task, seed=body.seed, seed_source=body.seed_source,
        ratios=None if body.ratios is None else {
            c: Fraction(str(v)) for c, v in body.ratios.items()},
        budget=body.budget, mode=body.mode, batches=body.batches,
        filters=Filters(body.region, tuple(body.sections), tuple(body.divisions),
                        tuple(body.enterprise_types), tuple(body.domain_tags)),
        forced={f.uscc: f.reason for f in body.forced},
        recent_months=_default(body.recent_months, settings.draw_recent_months),
        per_target=_default(body.inspectors_per_target, settings.draw_inspectors),
        workload_cap=_default(body.workload_cap, settings.draw_workload_cap),
        avoid_months=_default(body.avoid_months, settings.draw_avoid_months),
        drawn_on=body.drawn_on)
    try:
        view = create_draw(state.results, state.store, state.profile, items_catalogue(state),
                           wanted, author=f"key:{caller.key.key_id}", scope=caller.scope)
    except Conflict as error:
        raise Problem(409, str(error), [FieldError(pointer="/period", location="body",
                                                   message=str(error))]) from None
    except StaffingFailed as error:
        raise Problem(422, str(error), [
            FieldError(pointer="/inspectors_per_target", location="body",
                       message=f"{uscc}: {error.reasons.get(uscc, 'workload cap')}")
            for uscc in error.targets[:100]]) from None
    request.state.audit.rows = len(view.targets)
    request.state.audit.extra["draw_id"] = view.draw_id
    return public_draw(view)


def _default(value: int | None, default: int) -> int:
    return default if value is None else value


@router.get("/draws", response_model=DrawsPublic, summary="A period's draws, oldest first.")
def draws(request: Request, period: Annotated[dt.date, Query(examples=["2025-12-31"])],
          state: ServiceState = Depends(service),
          caller: Caller = Depends(require(Permission.READ_DRAWS))) -> DrawsPublic:
    found = list_draws(state.results, period, caller.scope)
    request.state.audit.rows = len(found)
    return DrawsPublic(items=[DrawSummaryPublic(**summary(v)) for v in found])


@router.get("/draws/{draw_id}", response_model=DrawPublic,
            summary="A draw: its record, targets with class, items and inspectors, exclusions.")
def draw(request: Request, draw_id: DrawId, state: ServiceState = Depends(service),
         caller: Caller = Depends(require(Permission.READ_DRAWS))) -> DrawPublic:
    view = read_draw(state.results, draw_id, caller.scope)
    request.state.audit.rows = len(view.targets)
    return public_draw(view)


@router.get("/draws/{draw_id}/record", response_model=DrawRecordPublic,
            summary="The published record and frozen population: enough to recompute it.")
def record(request: Request, draw_id: DrawId, state: ServiceState = Depends(service),
           caller: Caller = Depends(require(Permission.READ_DRAWS))) -> DrawRecordPublic:
    parameters, members = published_record(state.results, draw_id, caller.scope)
    request.state.audit.rows = len(members)
    stored = read_draw(state.results, draw_id, caller.scope, with_exclusions=False).draw
    return DrawRecordPublic(draw_id=draw_id, record=parameters,
                            record_sha256=stored.record_sha256,
                            population=[MemberPublic(uscc=m.uscc, risk_level=m.risk_level,
                                                     recent=m.recent, items=list(m.items))
                                        for m in members])


@router.post("/draws/{draw_id}/cancellation", status_code=201,
             response_model=CancellationPublic,
             summary="Cancel a draw with a reason (it stays stored; draw again for a new one).")
def cancel(request: Request, draw_id: DrawId, body: CancellationCreate,
           state: ServiceState = Depends(service),
           caller: Caller = Depends(require(Permission.CREATE_DRAWS))) -> CancellationPublic:
    try:
        done = cancel_draw(state.results, draw_id, body.reason, f"key:{caller.key.key_id}",
                           caller.scope)
    except Conflict as error:
        raise Problem(409, str(error)) from None
    request.state.audit.rows = 1
    return CancellationPublic(**{k: v for k, v in vars(done).items() if k != "draw_id"})


@router.get("/draws/{draw_id}/progress", response_model=ProgressPublic,
            summary="Results posted back per target and batch; problems routed to departments.")
def progress(request: Request, draw_id: DrawId, state: ServiceState = Depends(service),
             caller: Caller = Depends(require(Permission.READ_DRAWS))) -> ProgressPublic:
    found = draw_progress(state.results, state.store, items_catalogue(state), draw_id,
                          caller.scope)
    request.state.audit.rows = len(found.targets)
    return ProgressPublic(
        draw_id=draw_id, status=found.draw.status, targets=len(found.targets),
        done=found.done, by_batch=found.by_batch,
        items=[TargetProgressPublic(uscc=t.uscc, risk_level=t.risk_level, batch=t.batch,
                                    part=t.part, result=t.result, routed_to=list(t.routed_to))
               for t in found.targets])


@router.get("/effect", response_model=EffectPublic,
            summary="Problems found per inspection by the class held when drawn (Wilson 95 %).")
def effect(request: Request, period: Annotated[dt.date, Query(examples=["2025-12-31"])],
           state: ServiceState = Depends(service),
           caller: Caller = Depends(require(Permission.READ_DRAWS))) -> EffectPublic:
    rows = sampling_effect(state.results, state.store, period, caller.scope)
    request.state.audit.rows = len(rows)
    return EffectPublic(period=period, items=[EffectRowPublic(**vars(r)) for r in rows])

"""Warnings of a period, and recording what was done about one."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from serving.access.roles import Permission
from serving.api.problems import COMMON, problem_responses
from serving.api.schemas.warnings import (
    DispositionCreate,
    DispositionPublic,
    WarningPublic,
    WarningsPublic,
)
from serving.api.security import Caller, require, service
from serving.api.state import ServiceState
from serving.results.rows import Disposition, StoredWarning
from serving.use_cases import list_warnings, record_disposition

router = APIRouter(prefix="/v1/warnings", tags=["warnings"],
                   responses=problem_responses(404, *COMMON))


def public_warning(warning: StoredWarning, warning_id: str,
                   disposition: Disposition | None) -> WarningPublic:
    return WarningPublic(
        warning_id=warning_id, uscc=warning.uscc, period=warning.period,
        severity=warning.severity, action=warning.action, action_en=warning.action_en,
        triggers=list(warning.triggers), previous_level=warning.previous_level,
        risk_level=warning.risk_level,
        disposition=DispositionPublic(**vars(disposition)) if disposition else None)


@router.get("", response_model=WarningsPublic, summary="A published period's warnings, "
                                                       "most severe first.")
def warnings(request: Request,
             period: Annotated[dt.date, Query(examples=["2025-12-31"])],
             severity: Annotated[int | None, Query(ge=1, le=4, description=(
                 "Only warnings at least this severe."))] = None,
             limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
             state: ServiceState = Depends(service),
             caller: Caller = Depends(require(Permission.READ_WARNINGS))) -> WarningsPublic:
    found = list_warnings(state.results, period, caller.scope, severity=severity, limit=limit)
    request.state.audit.rows = len(found)
    return WarningsPublic(items=[public_warning(v.warning, v.warning_id, v.disposition)
                                 for v in found])


@router.patch("/{warning_id}", response_model=DispositionPublic,
              summary="Record what was done about a warning (处置).")
def dispose(request: Request,
            warning_id: Annotated[str, Path(max_length=40, pattern=r"^\d{8}-[0-9A-Z]{18}$")],
            body: DispositionCreate, state: ServiceState = Depends(service),
            caller: Caller = Depends(require(Permission.WRITE_DISPOSITIONS))
            ) -> DispositionPublic:
    recorded = record_disposition(state.results, warning_id, caller.scope, status=body.status,
                                  action_taken=body.action_taken, department=body.department,
                                  note=body.note, key_id=caller.key.key_id)
    request.state.audit.rows = 1
    return DispositionPublic(**vars(recorded))

"""Region × industry risk of a period."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from serving.access.roles import Permission
from serving.api.problems import COMMON, problem_responses
from serving.api.schemas.warnings import RegionRiskPublic, RegionsPublic
from serving.api.security import Caller, require, service
from serving.api.state import ServiceState
from serving.monthly.regional import HIGH_RISK_RULE
from serving.use_cases import period_region_risk

router = APIRouter(prefix="/v1/regions", tags=["regions"],
                   responses=problem_responses(404, *COMMON))


@router.get("", response_model=RegionsPublic,
            summary="Enterprises, C/D share, mean score and their change per region × "
                    "industry section, with a high-risk flag.")
def regions(request: Request, period: Annotated[dt.date, Query(examples=["2025-12-31"])],
            level: Annotated[Literal["prefecture", "county"], Query()] = "prefecture",
            state: ServiceState = Depends(service),
            caller: Caller = Depends(require(Permission.READ_REGIONS))) -> RegionsPublic:
    cells = period_region_risk(state.results, period, caller.scope, level)
    request.state.audit.rows = len(cells)
    return RegionsPublic(period=period, level=level, high_risk_rule=HIGH_RISK_RULE,
                         items=[RegionRiskPublic(**vars(cell)) for cell in cells])

"""The model being served, and reloading the newly promoted version."""

from __future__ import annotations

import contextlib
import threading

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from serving.access.roles import Permission
from serving.api.problems import COMMON, problem_responses
from serving.api.schemas.model import ModelPublic, ReloadPublic
from serving.api.security import Caller, require, service
from serving.api.state import ServiceState

router = APIRouter(prefix="/v1", tags=["model"],
                   responses=problem_responses(*COMMON))


@router.get("/model", response_model=ModelPublic, summary="The model, rules and data served.")
def model(request: Request, state: ServiceState = Depends(service),
          _: Caller = Depends(require(Permission.READ_MODEL))) -> ModelPublic:
    served = state.models.current
    loaded = served.loaded
    reader = state.features.current
    return ModelPublic(
        name=loaded.version.split("/")[0], version=loaded.version, uri=loaded.uri,
        run_id=loaded.run_id, rules_version=loaded.rules_version, profile=state.profile.key,
        data_cutoff=reader.data_end, store_version=reader.version,
        loaded_at=served.loaded_at)


@router.post("/admin/model:reload", status_code=202, response_model=ReloadPublic,
             summary="Load the version the configured alias names now, check it on a golden "
                     "sample and swap it in (in the background).")
def reload(state: ServiceState = Depends(service),
           _: Caller = Depends(require(Permission.RELOAD_MODEL))) -> JSONResponse:
    if state.models.status.state == "loading":
        return JSONResponse(ReloadPublic(**vars(state.models.status)).model_dump(mode="json"),
                            status_code=202)
    target = state.settings.model_uri

    def run() -> None:
        with contextlib.suppress(Exception):  # recorded in the status; the old model serves
            state.models.reload(target)

    threading.Thread(target=run, daemon=True, name="model-reload").start()
    return JSONResponse(ReloadPublic(state="loading", target=target).model_dump(mode="json"),
                        status_code=202)


@router.get("/admin/model:reload", response_model=ReloadPublic,
            summary="How the last reload went.")
def reload_status(state: ServiceState = Depends(service),
                  _: Caller = Depends(require(Permission.RELOAD_MODEL))) -> ReloadPublic:
    return ReloadPublic(**vars(state.models.status))

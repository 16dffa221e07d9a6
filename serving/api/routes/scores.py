"""Real-time scoring of 1 to 10,000 enterprises."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from models.policy.profiles import Profile
from serving.access.roles import Permission
from serving.api.documents import ModelResponse
from serving.api.problems import COMMON, Problem, problem_responses
from serving.api.schemas.explanation import ExplanationPublic
from serving.api.schemas.results import RiskClassPublic
from serving.api.schemas.scores import (
    EnterpriseScorePublic,
    FiredRulePublic,
    ScoreCreate,
    ScoresPublic,
)
from serving.api.security import Caller, require, service
from serving.api.state import ServiceState
from serving.use_cases.score import (
    EnterpriseScore,
    feature_rows,
    score_enterprises,
    score_feature_rows,
)

router = APIRouter(prefix="/v1", tags=["scores"],
                   responses=problem_responses(404, 413, *COMMON))


def _public(score: EnterpriseScore, model_version: str, top: int | None,
            profile: Profile) -> EnterpriseScorePublic:
    return EnterpriseScorePublic(
        uscc=score.uscc, as_of=score.as_of, probability=score.probability,
        model_score=score.model_score, final_score=score.final_score,
        model_level=score.model_level,
        risk_class=RiskClassPublic.of(score.risk_level, profile),
        fired_rules=[FiredRulePublic(rule=r.rule_id, reason_zh=r.reason_zh,
                                     reason_en=r.reason_en, basis=r.basis, binding=r.bound,
                                     points=r.points) for r in score.fired_rules],
        explanation=(ExplanationPublic.of(score.explanation, model_version, top)
                     if score.explanation else None))


@router.post("/scores", response_model=ScoresPublic,
             summary="Score (and explain) enterprises now, from the store or from rows.")
def scores(request: Request, body: ScoreCreate,
           explain: Annotated[bool, Query(description="Add the explanation in points.")] = False,
           top: Annotated[int | None, Query(ge=1, le=500, description=(
               "With explain: the largest features, the rest summed in one line."))] = None,
           state: ServiceState = Depends(service),
           caller: Caller = Depends(require(Permission.SCORE))) -> ModelResponse:
    limit = state.settings.max_score_rows
    if body.count > limit:
        raise Problem(413, f"expected 1 to {limit:,} enterprises per request, found "
                           f"{body.count:,}; split the request")
    served = state.models.current
    request.state.audit.extra["enterprises"] = body.count
    if body.rows is not None:
        found = score_feature_rows(served.loaded, feature_rows(body.rows), state.profile,
                                   explain=explain, explainer=served.explainer)
        missing: tuple[str, ...] = ()
    else:
        scored = score_enterprises(state.features.current, served.loaded, body.enterprises,
                                   body.as_of, state.profile, explain=explain,
                                   explainer=served.explainer, scope=caller.scope)
        if not scored.items:
            raise Problem(404, f"none of the {body.count} enterprises was alive at "
                               f"{scored.as_of} in the store")
        found, missing = list(scored.items), scored.missing
    request.state.audit.rows = len(found)
    return ModelResponse(ScoresPublic(
        items=[_public(s, served.loaded.version, top, state.profile) for s in found],
        missing=list(missing), model_version=served.loaded.version,
        rules_version=served.loaded.rules_version, profile=state.profile.key))

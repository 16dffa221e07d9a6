"""Explain one enterprise: why it got its class, in score points that add up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow.compute as pc

from features.coverage import require_covered
from features.engines import compute_features
from features.store import Store
from models.explain.explanation import Explanation, explain_rows
from models.explain.points import Explainer
from models.policy.profiles import Profile, profile
from models.registry import LoadedModel
from serving.results.rows import HistoryEntry
from serving.results.store import ResultsStore
from serving.use_cases.arguments import normal_uscc
from serving.use_cases.enterprises import enterprise_record, stored_explanation
from serving.use_cases.errors import NotFound
from serving.use_cases.scope import Scope

SCORE_TOLERANCE = 1e-6


def explain_enterprise(
    store: Store, model: LoadedModel, uscc: str, as_of: dt.date, profile: Profile,
    explainer: Explainer | None = None,
) -> Explanation:
    """Base points, every feature's points, and the rules and fusion lines up to the final
    score of ``uscc`` at ``as_of``. The features are computed for the whole province at the
    date, as the related-party features need the neighbours. Pass ``explainer`` to reuse the
    model's compiled explanation tables across calls. ``uscc`` is read without surrounding
    spaces and in upper case."""
    uscc = normal_uscc(uscc)
    store = store.pinned()
    require_covered(store, as_of)
    features = compute_features(store, as_of)
    row = features.filter(pc.equal(features["uscc"], uscc))
    if row.num_rows == 0:
        raise NotFound(f"{uscc}: no enterprise with this code was alive on {as_of} in "
                       f"{store.root}")
    return explain_rows(explainer or Explainer(model.model), row, profile)[0]


ModelOfVersion = Callable[[str], tuple[LoadedModel, Explainer]]
"""The model (and its explainer) registered as ``name/version``, loaded once and kept."""


@dataclass(frozen=True)
class PublishedExplanation:
    """The explanation behind a published result, recomputed with the model version and
    profile that produced it."""

    explanation: Explanation
    model_version: str
    published: HistoryEntry
    matches_published: bool
    """Whether the recomputed final score and class equal the published ones (they differ
    only if records dated before the period were collected after it was published)."""


def explain_published(
    results: ResultsStore, store: Store, models: ModelOfVersion, uscc: str,
    period: dt.date | None, scope: Scope, explain: Callable[..., Explanation] | None = None,
) -> PublishedExplanation:
    """Why ``uscc`` got its class in a published ``period`` (its latest when None), in
    points that add up to the final score; `NotFound` outside ``scope`` as for an unknown
    enterprise."""
    published = (stored_explanation(results, uscc, period, scope) if period is not None
                 else enterprise_record(results, uscc, scope).latest)
    result = published.result
    loaded, explainer = models(result.model_version)
    explanation = (explain or explain_enterprise)(store, loaded, result.uscc, result.period,
                                                  profile(published.profile), explainer)
    same = (abs(explanation.final_score - result.final_score) < SCORE_TOLERANCE
            and explanation.risk_level == result.risk_level)
    return PublishedExplanation(explanation, result.model_version, published, same)

"""Explain one enterprise: why it got its class, in score points that add up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from features.enterprise_features import EnterpriseFeatures, features_of
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
    explainer: Explainer | None = None, features: EnterpriseFeatures | None = None,
) -> Explanation:
    """Base points, every feature's points, and the rules and fusion lines up to the final
    score of ``uscc`` at ``as_of``. The features are computed for this enterprise alone,
    from its records and those of the related parties its related-party features read:
    through ``features`` (a reader a long-lived process holds) or, without one, by scanning
    the store's files. Pass ``explainer`` to reuse the model's compiled explanation tables
    across calls. ``uscc`` is read without surrounding spaces and in upper case."""
    uscc = normal_uscc(uscc)
    few = (features.compute([uscc], as_of, option="--as-of") if features is not None
           else features_of(store, [uscc], as_of))
    if few.table.num_rows == 0:
        root = features.store.root if features is not None else store.root
        raise NotFound(f"{uscc}: no enterprise with this code was alive on {as_of} in {root}")
    return explain_rows(explainer or Explainer(model.model), few.table, profile)[0]


ModelOfVersion = Callable[[str], tuple[LoadedModel, Explainer]]
"""The model (and its explainer) registered as ``name/version``, loaded once and kept."""


FeaturesSource = Literal["snapshot", "store"]
"""Where a published explanation's feature values come from: the run's own snapshot (the
values it scored), or the store's current records at the period (runs kept before feature
snapshots, migration 0008)."""


@dataclass(frozen=True)
class PublishedExplanation:
    """The explanation behind a published result, with the model version and profile that
    produced it, from the feature values that run scored when it kept them."""

    explanation: Explanation
    model_version: str
    published: HistoryEntry
    matches_published: bool
    """Whether the explanation's final score and class equal the published ones: always so
    from a snapshot; recomputed from the store, they differ only if records dated before the
    period were collected after it was published."""
    features_source: FeaturesSource = "snapshot"


def explain_published(
    results: ResultsStore, store: Store, models: ModelOfVersion, uscc: str,
    period: dt.date | None, scope: Scope, features: EnterpriseFeatures | None = None,
) -> PublishedExplanation:
    """Why ``uscc`` got its class in a published ``period`` (its latest when None), in
    points that add up to the final score; `NotFound` outside ``scope`` as for an unknown
    enterprise. The feature values are the run's snapshot when it kept one, else they are
    recomputed from ``store`` (through ``features`` when given)."""
    published = (stored_explanation(results, uscc, period, scope) if period is not None
                 else enterprise_record(results, uscc, scope).latest)
    result = published.result
    loaded, explainer = models(result.model_version)
    jurisdiction = profile(published.profile)
    scored = results.feature_row(published.run_id, result.uscc)
    source: FeaturesSource = "snapshot" if scored is not None else "store"
    explanation = (explain_rows(explainer, scored, jurisdiction)[0] if scored is not None
                   else explain_enterprise(store, loaded, result.uscc, result.period,
                                           jurisdiction, explainer, features))
    same = (abs(explanation.final_score - result.final_score) < SCORE_TOLERANCE
            and explanation.risk_level == result.risk_level)
    return PublishedExplanation(explanation, result.model_version, published, same, source)

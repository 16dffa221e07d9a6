"""Explain one enterprise: why it got its class, in score points that add up."""

from __future__ import annotations

import datetime as dt

from features.enterprise_features import EnterpriseFeatures, features_of
from features.store import Store
from models.explain.explanation import Explanation, explain_rows
from models.explain.points import Explainer
from models.policy.profiles import Profile
from models.registry import LoadedModel
from serving.use_cases.arguments import normal_uscc
from serving.use_cases.errors import NotFound


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

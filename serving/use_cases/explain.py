"""Explain one enterprise: why it got its class, in score points that add up."""

from __future__ import annotations

import datetime as dt

import pyarrow.compute as pc

from features.coverage import require_covered
from features.engines import compute_features
from features.store import Store
from models.explain.explanation import Explanation, explain_rows
from models.explain.points import Explainer
from models.policy.profiles import Profile
from models.registry import LoadedModel
from serving.use_cases.arguments import normal_uscc
from serving.use_cases.errors import NotFound


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

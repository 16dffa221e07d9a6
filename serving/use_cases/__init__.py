"""The use cases: plain functions that every face (command line, HTTP routes, pages) calls.

Each takes loaded objects — a `models.registry.LoadedModel`, a
`serving.results.store.ResultsStore`, a `features.store.Store`, a
`models.policy.profiles.Profile` — validates its own arguments and returns typed results;
refusals are `NotFound` or `InvalidRequest` with a message naming what is wrong.

    score a table              score_table, score_file
    score a few enterprises    score_feature_rows (supplied rows), score_enterprises (by code)
    explain one enterprise     explain_enterprise
    classify a period          classify_period
    re-score since a date      rescore
    read what is published     published_periods, enterprise_history, period_warnings,
                               period_regional_risk
"""

from serving.use_cases.classify import (
    PeriodOutcome,
    RescoreOutcome,
    classify_period,
    data_fingerprint,
    rescore,
)
from serving.use_cases.errors import InvalidRequest, NotFound
from serving.use_cases.explain import explain_enterprise
from serving.use_cases.read import (
    enterprise_history,
    period_regional_risk,
    period_warnings,
    published_periods,
)
from serving.use_cases.score import (
    EnterpriseScore,
    FiredRule,
    ScoredEnterprises,
    ScoredTable,
    score_enterprises,
    score_feature_rows,
    score_file,
    score_table,
)

__all__ = [
    "EnterpriseScore",
    "FiredRule",
    "InvalidRequest",
    "NotFound",
    "PeriodOutcome",
    "RescoreOutcome",
    "ScoredEnterprises",
    "ScoredTable",
    "classify_period",
    "data_fingerprint",
    "enterprise_history",
    "explain_enterprise",
    "period_regional_risk",
    "period_warnings",
    "published_periods",
    "rescore",
    "score_enterprises",
    "score_feature_rows",
    "score_file",
    "score_table",
]

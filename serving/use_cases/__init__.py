"""The use cases: plain functions that every face (command line, HTTP routes, pages) calls.

Each takes loaded objects — a `models.registry.LoadedModel`, a
`serving.results.store.ResultsStore`, a `features.store.Store`, a
`models.policy.profiles.Profile` — validates its own arguments and returns typed results;
refusals are `NotFound` or `InvalidRequest` with a message naming what is wrong.

    score a table              score_table, score_file
    explain one enterprise     explain_enterprise
    classify a period          classify_period
    re-score since a date      rescore
    record spot-check results  record_inspection_results
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
from serving.use_cases.inspections import (
    InspectionOutcome,
    InspectionResult,
    InvalidSubmission,
    ItemError,
    record_inspection_results,
)
from serving.use_cases.read import (
    enterprise_history,
    period_regional_risk,
    period_warnings,
    published_periods,
)
from serving.use_cases.score import ScoredTable, score_file, score_table

__all__ = [
    "InspectionOutcome",
    "InspectionResult",
    "InvalidRequest",
    "InvalidSubmission",
    "ItemError",
    "NotFound",
    "PeriodOutcome",
    "RescoreOutcome",
    "ScoredTable",
    "classify_period",
    "data_fingerprint",
    "enterprise_history",
    "explain_enterprise",
    "period_regional_risk",
    "period_warnings",
    "published_periods",
    "record_inspection_results",
    "rescore",
    "score_file",
    "score_table",
]

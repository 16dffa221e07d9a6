"""The use cases: plain functions that every face (command line, HTTP routes, pages) calls.

Each takes loaded objects — a `models.registry.LoadedModel`, a
`serving.results.store.ResultsStore`, a `features.store.Store`, a
`models.policy.profiles.Profile` — validates its own arguments and returns typed results;
refusals are `NotFound` or `InvalidRequest` with a message naming what is wrong. Reads and
records of published results take a `Scope` (the caller's region): outside it, an enterprise
is answered as one that does not exist.

    score a table              score_table, score_file
    score a few enterprises    score_feature_rows (supplied rows), score_enterprises (by code)
    explain one enterprise     explain_enterprise
    classify a period          classify_period (engine duckdb or spark: SparkOptions)
    re-score since a date      rescore
    read what is published     published_periods, classification_page, classification_csv,
                               enterprise_record, enterprise_history, stored_explanation,
                               search_enterprises, period_warnings, period_region_risk
    dispose of warnings        list_warnings, record_disposition, disposition_history,
                               warning_record
    record spot-check results  record_inspection_results
    retention                  prune_periods
    for the regulator pages    enterprise_facts, rule_bases, class_shares, warning_list,
                               enterprise_warnings, repair_guidance, model_card
"""

from serving.use_cases.classify import (
    ENGINES,
    PeriodOutcome,
    RescoreOutcome,
    SparkOptions,
    classify_period,
    data_fingerprint,
    rescore,
)
from serving.use_cases.dispositions import (
    DISPOSITION_STATUSES,
    TEXT_LIMITS,
    WarningRecord,
    WarningView,
    disposition_history,
    list_warnings,
    record_disposition,
    warning_record,
)
from serving.use_cases.enterprises import (
    EnterpriseMatch,
    EnterpriseRecord,
    enterprise_record,
    search_enterprises,
    stored_explanation,
)
from serving.use_cases.errors import InvalidRequest, NotFound
from serving.use_cases.explain import PublishedExplanation, explain_enterprise, explain_published
from serving.use_cases.facts import EnterpriseFacts, RecordLine, enterprise_facts, rule_bases
from serving.use_cases.inspections import (
    InspectionOutcome,
    InspectionResult,
    InvalidSubmission,
    ItemError,
    record_inspection_results,
)
from serving.use_cases.model_card import ModelCard, model_card
from serving.use_cases.overview import (
    ClassShares,
    WarningPage,
    class_shares,
    enterprise_warnings,
    warning_list,
)
from serving.use_cases.published import (
    CSV_COLUMNS,
    ClassificationPage,
    CsvExport,
    classification_csv,
    classification_page,
)
from serving.use_cases.read import (
    enterprise_history,
    period_region_risk,
    period_warnings,
    published_periods,
)
from serving.use_cases.repair import RepairGuidance, RepairOption, repair_guidance
from serving.use_cases.retention import prune_periods
from serving.use_cases.scope import WHOLE_PROVINCE, Scope
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
    "CSV_COLUMNS",
    "DISPOSITION_STATUSES",
    "ENGINES",
    "TEXT_LIMITS",
    "WHOLE_PROVINCE",
    "ClassShares",
    "ClassificationPage",
    "CsvExport",
    "EnterpriseFacts",
    "EnterpriseMatch",
    "EnterpriseRecord",
    "EnterpriseScore",
    "FiredRule",
    "InspectionOutcome",
    "InspectionResult",
    "InvalidRequest",
    "InvalidSubmission",
    "ItemError",
    "ModelCard",
    "NotFound",
    "PeriodOutcome",
    "PublishedExplanation",
    "RecordLine",
    "RepairGuidance",
    "RepairOption",
    "RescoreOutcome",
    "Scope",
    "ScoredEnterprises",
    "ScoredTable",
    "SparkOptions",
    "WarningPage",
    "WarningRecord",
    "WarningView",
    "class_shares",
    "classification_csv",
    "classification_page",
    "classify_period",
    "data_fingerprint",
    "disposition_history",
    "enterprise_facts",
    "enterprise_history",
    "enterprise_record",
    "enterprise_warnings",
    "explain_enterprise",
    "explain_published",
    "list_warnings",
    "model_card",
    "period_region_risk",
    "period_warnings",
    "prune_periods",
    "published_periods",
    "record_disposition",
    "record_inspection_results",
    "repair_guidance",
    "rescore",
    "rule_bases",
    "score_enterprises",
    "score_feature_rows",
    "score_file",
    "score_table",
    "search_enterprises",
    "stored_explanation",
    "warning_list",
    "warning_record",
]

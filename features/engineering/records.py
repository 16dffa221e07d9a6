"""Features aggregated from the records table: dynamic, supervision, social, data quality.

Two passes keep the work proportional to what each record feeds:

- the *broad* pass reads every visible record for the few facts all of them feed (volume,
  collection delay) and counts the high-volume types that only feed a plain count
  (levies, licences, confirmations…), from the narrow event rows the generic features read
  too (`features.engineering.generic.event_rows`: integer codes, not strings);
- the *detailed* pass reads only the types that feed many features (penalties, lists, spot
  checks, changes, complaints…), which are about a quarter of all records.

In the detailed pass each record-type test is computed once per row in a projection, so the
filtered aggregates compare booleans instead of strings.
"""

from __future__ import annotations

import ibis.expr.types as ir

from features.catalog import WINDOWS
from features.engineering.generic import (
    OUTCOME_CODES,
    TYPE_CODES,
    event_rows,
    generic_aggregates,
)
from features.engineering.pit import AsOf, not_after, visible_records
from features.reference.record_types import COLLECTION_DEADLINES

LATE_AFTER_WORKING_DAYS = COLLECTION_DEADLINES[0]
GRADE_POINTS = {"A": 1, "B": 2, "C": 3, "D": 4}

DETAILED_TYPES = (
    "registration_change", "equity_pledge", "annual_report", "administrative_penalty",
    "abnormal_operation", "serious_dishonesty", "dishonest_debtor", "joint_punishment",
    "spot_check", "product_quality_sampling", "judicial", "complaint", "domain_risk_grade",
)


def _windows(occurred_on: ir.DateColumn, as_of: AsOf) -> dict[str, ir.BooleanColumn]:
    return {f"in_{w}m": occurred_on > as_of.months_back(w) for w in WINDOWS}


def broad_aggregates(events: ir.Table, key: str = "uscc") -> ir.Table:
    """Per enterprise: record volume, collection delay and the plain high-volume counts, from
    the event rows (`features.engineering.generic.event_rows`, whose enterprise column is
    ``key``), which carry every visible record in small integer codes."""
    e = events

    def n36(record_type: str, *outcomes: str) -> ir.IntegerScalar:
        where = (e.type_code == TYPE_CODES[record_type]) & e.in_36m
        if outcomes:
            where &= e.outcome_code.isin([OUTCOME_CODES[record_type, o] for o in outcomes])
        return e.count(where=where)

    return e.group_by(key).aggregate(
        records_36m=e.count(where=e.in_36m),
        _late_36m=e.count(where=(e.delay > LATE_AFTER_WORKING_DAYS) & e.in_36m),
        max_collection_delay_36m=e.delay.max(where=e.in_36m),
        ip_pledges_36m=n36("ip_pledge"),
        unlicensed_operation_36m=n36("unlicensed_operation"),
        licences_granted_36m=n36("licence", "granted", "renewed"),
        licences_revoked_36m=n36("licence", "revoked"),
        arbitrations_36m=n36("arbitration"),
        levies_36m=n36("administrative_levy"),
        department_notices_36m=n36("department_notice"),
        deregistration_objections_36m=n36("deregistration_objection"),
        administrative_confirmations_36m=n36("administrative_confirmation"),
        honours_36m=n36("honour"),
        small_business_support_36m=n36("small_business_support"),
        commitments_kept_36m=n36("credit_commitment", "kept"),
        commitments_broken_36m=n36("credit_commitment", "broken"),
    )


def detailed_aggregates(records: ir.Table, as_of: AsOf) -> ir.Table:
    """Per enterprise: every feature of the types that feed many features."""
    v = visible_records(records, as_of)
    v = v.filter(v.record_type.isin(DETAILED_TYPES))
    d = as_of.date
    r = v.select(
        "uscc", "outcome", "severity", "amount", "occurred_on",
        **{f"is_{t}": v.record_type == t for t in DETAILED_TYPES},
        **_windows(v.occurred_on, as_of),
        days_ago=as_of.literal.delta(v.occurred_on, unit="day"),
        current=~not_after(v.removed_on, d) & ~not_after(v.repaired_on, d),
        unrepaired=~not_after(v.repaired_on, d),
    )
    return r.group_by("uscc").aggregate(**_detailed(r))


def _detailed(r: ir.Table) -> dict[str, ir.Scalar]:
    outcome = r.outcome

    def n(condition: ir.BooleanValue) -> ir.IntegerScalar:
        return r.count(where=condition)

    def kind(record_type: str) -> ir.BooleanColumn:
        return r[f"is_{record_type}"]

    change = kind("registration_change")
    penalty = kind("administrative_penalty")
    abnormal = kind("abnormal_operation")
    serious = kind("serious_dishonesty")
    debtor = kind("dishonest_debtor")
    spot = kind("spot_check")
    problem = spot & (outcome == "problem_found")
    quality = kind("product_quality_sampling")
    judicial = kind("judicial")
    complaint = kind("complaint")
    report = kind("annual_report")
    grade_points = outcome.substitute(GRADE_POINTS, else_=0)
    out: dict[str, ir.Scalar] = {}
    for w in (12, 36):
        for stem, value in (
            ("legal_rep_changes", "legal_representative"),
            ("shareholder_changes", "shareholder"),
            ("address_changes", "address"),
        ):
            out[f"{stem}_{w}m"] = n(change & (outcome == value) & r[f"in_{w}m"])
    out |= {
        "capital_decreases_36m": n(change & (outcome == "capital_decrease") & r.in_36m),
        "capital_increases_36m": n(change & (outcome == "capital_increase") & r.in_36m),
        "name_changes_36m": n(change & (outcome == "name") & r.in_36m),
        "scope_changes_36m": n(change & (outcome == "business_scope") & r.in_36m),
        "registration_changes_12m": n(change & r.in_12m),
        "equity_pledges_12m": n(kind("equity_pledge") & r.in_12m),
        "equity_pledge_amount_36m": r.amount.sum(where=kind("equity_pledge") & r.in_36m),
        "annual_reports_36m": n(report & r.in_36m),
        "annual_reports_late_36m": n(report & (outcome == "late") & r.in_36m),
        "days_since_annual_report": r.days_ago.min(where=report),
    }
    for w in WINDOWS:
        out[f"penalties_{w}m"] = n(penalty & r[f"in_{w}m"])
    out |= {
        "penalty_amount_12m": r.amount.sum(where=penalty & r.in_12m),
        "penalty_amount_36m": r.amount.sum(where=penalty & r.in_36m),
        "serious_penalties_36m": n(penalty & (r.severity == 3) & r.in_36m),
        "unrepaired_penalties_36m": n(penalty & r.unrepaired & r.in_36m),
        "days_since_penalty": r.days_ago.min(where=penalty),
        "abnormal_listed_now": n(abnormal & r.current) > 0,
        "abnormal_listings_36m": n(abnormal & r.in_36m),
        "days_on_abnormal_list": r.days_ago.max(where=abnormal & r.current),
        "serious_dishonesty_now": n(serious & r.current) > 0,
        "serious_dishonesty_ever": n(serious) > 0,
        "dishonest_debtor_now": n(debtor & r.current) > 0,
        "dishonest_debtor_entries_36m": n(debtor & r.in_36m),
        "joint_punishment_now": n(kind("joint_punishment") & r.current) > 0,
        "spot_checks_36m": n(spot & r.in_36m),
        "spot_check_problems_12m": n(problem & r.in_12m),
        "spot_check_problems_36m": n(problem & r.in_36m),
        "spot_check_not_located_36m": n(spot & (outcome == "not_located") & r.in_36m),
        "days_since_spot_check_problem": r.days_ago.min(where=problem),
        "quality_samples_36m": n(quality & r.in_36m),
        "quality_failures_36m": n(quality & (outcome == "fail") & r.in_36m),
        "judicial_records_12m": n(judicial & r.in_12m),
        "judicial_records_36m": n(judicial & r.in_36m),
        "judicial_amount_36m": r.amount.sum(where=judicial & r.in_36m),
        # Latest grade, ties broken towards the worse one: max of (days since epoch, grade).
        "_grade_key": (r.occurred_on.epoch_days() * 10 + grade_points).max(
            where=kind("domain_risk_grade")
        ),
    }
    for w in WINDOWS:
        out[f"complaints_{w}m"] = n(complaint & r[f"in_{w}m"])
    out |= {
        "complaints_substantiated_12m": n(complaint & (outcome == "substantiated") & r.in_12m),
        "complaints_substantiated_36m": n(complaint & (outcome == "substantiated") & r.in_36m),
        # A fact about the enterprise that related enterprises' features read.
        "_penalised_12m": n(penalty & r.in_12m) > 0,
    }
    return out


def broad_part(events: ir.Table, key: str = "uscc") -> ir.Table:
    """`broad_aggregates` with the features derived from them alone."""
    t = broad_aggregates(events, key)
    return t.mutate(
        late_collection_share_36m=t._late_36m.cast("float64") / t.records_36m.nullif(0)
    )


def detailed_part(records: ir.Table, as_of: AsOf) -> ir.Table:
    """`detailed_aggregates` with the features derived from them alone."""
    t = detailed_aggregates(records, as_of)
    return t.mutate(
        spot_check_problem_rate_36m=(
            t.spot_check_problems_36m.cast("float64") / t.spot_checks_36m.nullif(0)
        ),
        domain_risk_grade=(t._grade_key % 10).nullif(0),
    )


LISTING_FLAGS = ("abnormal_listed_now", "serious_dishonesty_now", "dishonest_debtor_now",
                 "_penalised_12m")
"""The detailed pass's flags: false (not missing) for an enterprise with records but none of
the detailed types; the related-party features read them."""


def record_features(records: ir.Table, as_of: AsOf, events: ir.Table | None = None
                    ) -> ir.Table:
    """Per enterprise with any visible record: every record-derived feature (``events``: the
    materialised `features.engineering.generic.event_rows`, if the caller has them)."""
    events = event_rows(records, as_of) if events is None else events
    broad = broad_part(events)
    detailed = detailed_part(records, as_of)
    generic = generic_aggregates(records, as_of, events)
    # Every enterprise in the detailed and generic passes has a record, so it is in the broad
    # pass too.
    t = (broad.left_join(detailed, "uscc").drop("uscc_right")
         .left_join(generic, "uscc").drop("uscc_right"))
    return t.mutate(**{flag: t[flag].fill_null(False) for flag in LISTING_FLAGS})


def listing_facts(detailed: ir.Table, adverse: ir.Table) -> ir.Table:
    """What `features.engineering.related.enterprise_flags` reads of the record features,
    from the detailed part and the adverse counts (`generic.adverse_counts`) alone: every
    enterprise with a visible record."""
    t = adverse.left_join(detailed.select("uscc", *LISTING_FLAGS), "uscc").drop("uscc_right")
    return t.mutate(**{flag: t[flag].fill_null(False) for flag in LISTING_FLAGS})

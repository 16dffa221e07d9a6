"""Features aggregated from the records table in one pass: dynamic, supervision, social,
data quality."""

from __future__ import annotations

import ibis.expr.types as ir

from features.catalog import WINDOWS
from features.engineering.pit import AsOf, not_after, visible_records, working_days

LATE_AFTER_WORKING_DAYS = 7
GRADE_POINTS = {"A": 1, "B": 2, "C": 3, "D": 4}


def prepared_records(records: ir.Table, as_of: AsOf) -> ir.Table:
    """Visible records with the per-row facts every aggregate needs."""
    visible = visible_records(records, as_of)
    d = as_of.date
    return visible.mutate(
        **{f"in_{w}m": visible.occurred_on > as_of.months_back(w) for w in WINDOWS},
        days_ago=as_of.literal.delta(visible.occurred_on, unit="day"),
        current=~not_after(visible.removed_on, d) & ~not_after(visible.repaired_on, d),
        unrepaired=~not_after(visible.repaired_on, d),
        delay=working_days(visible.occurred_on, visible.collected_on),
    )


def record_aggregates(r: ir.Table) -> dict[str, ir.Scalar]:
    """Named aggregates over prepared records, grouped by enterprise by the caller."""
    kind = r.record_type
    outcome = r.outcome

    def n(condition: ir.BooleanValue) -> ir.IntegerScalar:
        return r.record_id.count(where=condition)

    change = kind == "registration_change"
    penalty = kind == "administrative_penalty"
    abnormal = kind == "abnormal_operation"
    serious = kind == "serious_dishonesty"
    debtor = kind == "dishonest_debtor"
    spot = kind == "spot_check"
    problem = spot & (outcome == "problem_found")
    quality = kind == "product_quality_sampling"
    licence = kind == "licence"
    judicial = kind == "judicial"
    complaint = kind == "complaint"
    commitment = kind == "credit_commitment"
    grade = kind == "domain_risk_grade"
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
        "equity_pledges_12m": n((kind == "equity_pledge") & r.in_12m),
        "equity_pledge_amount_36m": r.amount.sum(where=(kind == "equity_pledge") & r.in_36m),
        "ip_pledges_36m": n((kind == "ip_pledge") & r.in_36m),
        "annual_reports_36m": n((kind == "annual_report") & r.in_36m),
        "annual_reports_late_36m": n((kind == "annual_report") & (outcome == "late") & r.in_36m),
        "days_since_annual_report": r.days_ago.min(where=kind == "annual_report"),
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
        "joint_punishment_now": n((kind == "joint_punishment") & r.current) > 0,
        "spot_checks_36m": n(spot & r.in_36m),
        "spot_check_problems_12m": n(problem & r.in_12m),
        "spot_check_problems_36m": n(problem & r.in_36m),
        "spot_check_not_located_36m": n(spot & (outcome == "not_located") & r.in_36m),
        "days_since_spot_check_problem": r.days_ago.min(where=problem),
        "quality_samples_36m": n(quality & r.in_36m),
        "quality_failures_36m": n(quality & (outcome == "fail") & r.in_36m),
        "unlicensed_operation_36m": n((kind == "unlicensed_operation") & r.in_36m),
        "licences_granted_36m": n(licence & outcome.isin(("granted", "renewed")) & r.in_36m),
        "licences_revoked_36m": n(licence & (outcome == "revoked") & r.in_36m),
        "judicial_records_12m": n(judicial & r.in_12m),
        "judicial_records_36m": n(judicial & r.in_36m),
        "judicial_amount_36m": r.amount.sum(where=judicial & r.in_36m),
        "arbitrations_36m": n((kind == "arbitration") & r.in_36m),
        "levies_36m": n((kind == "administrative_levy") & r.in_36m),
        "department_notices_36m": n((kind == "department_notice") & r.in_36m),
        "deregistration_objections_36m": n((kind == "deregistration_objection") & r.in_36m),
        "administrative_confirmations_36m": n(
            (kind == "administrative_confirmation") & r.in_36m
        ),
        # Latest grade, ties broken towards the worse one: max of (days since epoch, grade).
        "_grade_key": (r.occurred_on.epoch_days() * 10 + grade_points).max(where=grade),
    }
    for w in WINDOWS:
        out[f"complaints_{w}m"] = n(complaint & r[f"in_{w}m"])
    out |= {
        "complaints_substantiated_12m": n(complaint & (outcome == "substantiated") & r.in_12m),
        "complaints_substantiated_36m": n(complaint & (outcome == "substantiated") & r.in_36m),
        "honours_36m": n((kind == "honour") & r.in_36m),
        "small_business_support_36m": n((kind == "small_business_support") & r.in_36m),
        "commitments_kept_36m": n(commitment & (outcome == "kept") & r.in_36m),
        "commitments_broken_36m": n(commitment & (outcome == "broken") & r.in_36m),
        "records_36m": n(r.in_36m),
        "_late_36m": n((r.delay > LATE_AFTER_WORKING_DAYS) & r.in_36m),
        "max_collection_delay_36m": r.delay.max(where=r.in_36m),
        # Facts about the enterprise that related enterprises' features read.
        "_penalised_12m": n(penalty & r.in_12m) > 0,
    }
    return out


def finish_record_features(t: ir.Table) -> ir.Table:
    """Derive the features that combine aggregates, and drop helper columns."""
    return t.mutate(
        spot_check_problem_rate_36m=(
            t.spot_check_problems_36m.cast("float64") / t.spot_checks_36m.nullif(0)
        ),
        late_collection_share_36m=t._late_36m.cast("float64") / t.records_36m.nullif(0),
        domain_risk_grade=(t._grade_key % 10).nullif(0),
    )

"""The baseline for bench/feature_speed.py: the same features as a straightforward pandas groupby.

Deliberately the obvious implementation a modeller would write first: load the tables into
pandas, add one indicator column per feature, group by enterprise. It computes every catalog
feature so its output can be checked against the engine's.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from features.catalog import (
    CATALOG,
    EVENTS,
    HALF_LIFE_DAYS,
    WINDOWS,
    ZERO_WHEN_ABSENT,
    event_column,
)
from features.engineering.pit import AsOf
from features.outcomes import DEFAULT_OUTCOMES
from features.store import Store

GRADES = {"A": 1, "B": 2, "C": 3, "D": 4}


def _ts(date: dt.date) -> pd.Timestamp:
    return pd.Timestamp(date)


def _read(store: Store, table: str, columns: list[str] | None = None) -> pd.DataFrame:
    """The usual pandas reading: dates as datetime64, repeated strings as categoricals."""
    arrow = pq.read_table(store.table_path(table), columns=columns)
    return arrow.to_pandas(date_as_object=False, strings_to_categorical=True)


def _generic(r: pd.DataFrame) -> pd.DataFrame:
    """Per enterprise: the five numbers of every event (`features.engineering.generic`), from
    one groupby per record type and one per record type and outcome, unstacked."""
    g = pd.DataFrame({
        "uscc": r.uscc, "t": r.record_type, "o": r.outcome,
        **{f"n{w}": r[f"in_{w}m"].astype("int8") for w in WINDOWS},
        "ds": r.days_ago,
        "w": np.exp(r.days_ago.astype("float64") * (-math.log(2) / HALF_LIFE_DAYS)),
    })
    stats = {**{f"n{w}": "sum" for w in WINDOWS}, "ds": "min", "w": "sum"}
    suffix = {**{f"n{w}": f"_{w}m" for w in WINDOWS}, "ds": "_days_since", "w": "_decayed"}
    wide: dict[str, pd.Series] = {}
    for keys in (["t"], ["t", "o"]):
        per = g.groupby(["uscc", *keys], observed=True).agg(stats).unstack(keys)
        for column in per.columns:
            stat, *event = column
            stem = event_column(event[0], event[1] if len(event) > 1 else None)
            wide[stem + suffix[stat]] = per[column]
    names = [event_column(t, o) + s for t, o in EVENTS for s in suffix.values()]
    out = pd.DataFrame(wide).reindex(columns=names)
    adverse = np.zeros(len(r), dtype=bool)
    for outcome in DEFAULT_OUTCOMES:
        hit = (r.record_type == outcome.record_type).to_numpy()
        if outcome.outcome:
            hit = hit & (r.outcome == outcome.outcome).to_numpy()
        adverse |= hit
    for w in (12, 36):
        counted = pd.Series(adverse & r[f"in_{w}m"].to_numpy(), index=r.index).astype("int8")
        out[f"_adverse_{w}m"] = counted.groupby(r.uscc, observed=True).sum()
    return out


def pandas_features(store: Store, as_of: dt.date) -> pd.DataFrame:
    point = AsOf(as_of)
    d = _ts(as_of)
    enterprises = _read(store, "enterprises")
    records = _read(store, "records", [
        "uscc", "record_type", "occurred_on", "collected_on", "severity", "amount", "outcome",
        "removed_on", "repaired_on", "revoked_on"])
    relations = _read(store, "relations")
    inspections = _read(store, "inspections")

    r = records[
        (records.collected_on <= d) & (records.occurred_on <= d) & ~(records.revoked_on <= d)
    ].copy()
    for w in (3, 12, 36):
        r[f"in_{w}m"] = r.occurred_on > _ts(point.months_back(w))
    r["days_ago"] = (d - r.occurred_on).dt.days
    r["current"] = ~(r.removed_on <= d) & ~(r.repaired_on <= d)
    r["unrepaired"] = ~(r.repaired_on <= d)
    r["delay"] = np.busday_count(
        r.occurred_on.values.astype("datetime64[D]"), r.collected_on.values.astype("datetime64[D]")
    )
    t, o = r.record_type, r.outcome
    ind: dict[str, pd.Series] = {}
    change = t == "registration_change"
    for w in (12, 36):
        for stem, value in (
            ("legal_rep_changes", "legal_representative"),
            ("shareholder_changes", "shareholder"),
            ("address_changes", "address"),
        ):
            ind[f"{stem}_{w}m"] = change & (o == value) & r[f"in_{w}m"]
    penalty, abnormal = t == "administrative_penalty", t == "abnormal_operation"
    serious, debtor, spot = t == "serious_dishonesty", t == "dishonest_debtor", t == "spot_check"
    problem = spot & (o == "problem_found")
    quality, licence, judicial = t == "product_quality_sampling", t == "licence", t == "judicial"
    complaint, commitment = t == "complaint", t == "credit_commitment"
    ind |= {
        "capital_decreases_36m": change & (o == "capital_decrease") & r.in_36m,
        "capital_increases_36m": change & (o == "capital_increase") & r.in_36m,
        "name_changes_36m": change & (o == "name") & r.in_36m,
        "scope_changes_36m": change & (o == "business_scope") & r.in_36m,
        "registration_changes_12m": change & r.in_12m,
        "equity_pledges_12m": (t == "equity_pledge") & r.in_12m,
        "ip_pledges_36m": (t == "ip_pledge") & r.in_36m,
        "annual_reports_36m": (t == "annual_report") & r.in_36m,
        "annual_reports_late_36m": (t == "annual_report") & (o == "late") & r.in_36m,
        "penalties_3m": penalty & r.in_3m,
        "penalties_12m": penalty & r.in_12m,
        "penalties_36m": penalty & r.in_36m,
        "serious_penalties_36m": penalty & (r.severity == 3) & r.in_36m,
        "unrepaired_penalties_36m": penalty & r.unrepaired & r.in_36m,
        "abnormal_listed_now": abnormal & r.current,
        "abnormal_listings_36m": abnormal & r.in_36m,
        "serious_dishonesty_now": serious & r.current,
        "serious_dishonesty_ever": serious,
        "dishonest_debtor_now": debtor & r.current,
        "dishonest_debtor_entries_36m": debtor & r.in_36m,
        "joint_punishment_now": (t == "joint_punishment") & r.current,
        "spot_checks_36m": spot & r.in_36m,
        "spot_check_problems_12m": problem & r.in_12m,
        "spot_check_problems_36m": problem & r.in_36m,
        "spot_check_not_located_36m": spot & (o == "not_located") & r.in_36m,
        "quality_samples_36m": quality & r.in_36m,
        "quality_failures_36m": quality & (o == "fail") & r.in_36m,
        "unlicensed_operation_36m": (t == "unlicensed_operation") & r.in_36m,
        "licences_granted_36m": licence & o.isin(["granted", "renewed"]) & r.in_36m,
        "licences_revoked_36m": licence & (o == "revoked") & r.in_36m,
        "judicial_records_12m": judicial & r.in_12m,
        "judicial_records_36m": judicial & r.in_36m,
        "arbitrations_36m": (t == "arbitration") & r.in_36m,
        "levies_36m": (t == "administrative_levy") & r.in_36m,
        "department_notices_36m": (t == "department_notice") & r.in_36m,
        "deregistration_objections_36m": (t == "deregistration_objection") & r.in_36m,
        "administrative_confirmations_36m": (t == "administrative_confirmation") & r.in_36m,
        "complaints_3m": complaint & r.in_3m,
        "complaints_12m": complaint & r.in_12m,
        "complaints_36m": complaint & r.in_36m,
        "complaints_substantiated_12m": complaint & (o == "substantiated") & r.in_12m,
        "complaints_substantiated_36m": complaint & (o == "substantiated") & r.in_36m,
        "honours_36m": (t == "honour") & r.in_36m,
        "small_business_support_36m": (t == "small_business_support") & r.in_36m,
        "commitments_kept_36m": commitment & (o == "kept") & r.in_36m,
        "commitments_broken_36m": commitment & (o == "broken") & r.in_36m,
        "records_36m": r.in_36m,
        "_late": (r.delay > 7) & r.in_36m,
        "_penalised": penalty & r.in_12m,
    }
    amount = r.amount.fillna(0)
    sums: dict[str, pd.Series] = {k: v.astype("int8") for k, v in ind.items()}
    sums["equity_pledge_amount_36m"] = amount.where((t == "equity_pledge") & r.in_36m, 0)
    sums["penalty_amount_12m"] = amount.where(penalty & r.in_12m, 0)
    sums["penalty_amount_36m"] = amount.where(penalty & r.in_36m, 0)
    sums["judicial_amount_36m"] = amount.where(judicial & r.in_36m, 0)
    # Ten columns per groupby: summing all 64 at once widens every column to 64 bits and
    # needs more memory than the 24 GiB machine has at 30 M records.
    names = list(sums)
    agg = pd.concat(
        [
            pd.DataFrame({k: sums[k] for k in names[i : i + 10]} | {"uscc": r.uscc})
            .groupby("uscc", observed=True)
            .sum()
            for i in range(0, len(names), 10)
        ],
        axis=1,
    )
    for name in (
        "abnormal_listed_now",
        "serious_dishonesty_now",
        "serious_dishonesty_ever",
        "dishonest_debtor_now",
        "joint_punishment_now",
        "_penalised",
    ):
        agg[name] = (agg[name] > 0).astype("int64")
    mins = (
        pd.DataFrame(
            {
                "uscc": r.uscc,
                "days_since_annual_report": r.days_ago.where(t == "annual_report"),
                "days_since_penalty": r.days_ago.where(penalty),
                "days_since_spot_check_problem": r.days_ago.where(problem),
            }
        )
        .groupby("uscc")
        .min()
    )
    maxes = (
        pd.DataFrame(
            {
                "uscc": r.uscc,
                "days_on_abnormal_list": r.days_ago.where(abnormal & r.current),
                "max_collection_delay_36m": r.delay.where(r.in_36m),
                "_grade_key": (
                    (r.occurred_on - pd.Timestamp("1970-01-01")).dt.days * 10
                    + o.map(GRADES).fillna(0)
                ).where(t == "domain_risk_grade"),
            }
        )
        .groupby("uscc")
        .max()
    )
    agg = agg.join(mins).join(maxes).join(_generic(r))
    checks = agg.spot_checks_36m.replace(0, np.nan)
    agg["spot_check_problem_rate_36m"] = agg.spot_check_problems_36m / checks
    agg["late_collection_share_36m"] = agg._late / agg.records_36m.replace(0, np.nan)
    agg["domain_risk_grade"] = (agg._grade_key % 10).replace(0, np.nan)

    # related parties: per person, then back to enterprises
    closed = enterprises.set_index("uscc").deregistered_on <= d
    flags = pd.DataFrame({"closed": closed.astype("int64")})
    flags = flags.join(
        agg[["abnormal_listed_now", "serious_dishonesty_now", "dishonest_debtor_now", "_penalised",
             "_adverse_12m", "_adverse_36m"]]
    ).fillna(0)
    flags["listed"] = (
        (flags.abnormal_listed_now + flags.serious_dishonesty_now + flags.dishonest_debtor_now) > 0
    ).astype("int64")
    flags["dishonest"] = ((flags.serious_dishonesty_now + flags.dishonest_debtor_now) > 0).astype(
        "int64"
    )
    flags["penalised"] = flags._penalised.astype("int64")
    flags["adverse_12m"] = flags._adverse_12m.astype("int64")
    flags["adverse_36m"] = flags._adverse_36m.astype("int64")
    flags = flags[["listed", "dishonest", "penalised", "closed", "adverse_12m", "adverse_36m"]]
    current = relations[(relations.started_on <= d) & ~(relations.ended_on <= d)]
    persons = current[current.party_kind == "person"].copy()
    persons["is_lr"] = persons.role == "legal_representative"
    pairs = persons.groupby(["uscc", "party_id"], as_index=False).is_lr.any()
    pairs = pairs.join(flags, on="uscc")
    per_person = pairs.groupby("party_id").agg(
        degree=("uscc", "size"),
        p_listed=("listed", "sum"),
        p_dishonest=("dishonest", "sum"),
        p_penalised=("penalised", "sum"),
        p_closed=("closed", "sum"),
        p_adverse_12m=("adverse_12m", "sum"),
        p_adverse_36m=("adverse_36m", "sum"),
    )
    back = pairs.join(per_person, on="party_id")
    back["others"] = back.degree - 1
    for f in ("listed", "dishonest", "penalised", "closed", "adverse_12m", "adverse_36m"):
        back[f"o_{f}"] = back[f"p_{f}"] - back[f]
    back["lr_others"] = back.others.where(back.is_lr, 0)
    back["lr_listed"] = back.o_listed.where(back.is_lr, 0)
    rel = back.groupby("uscc").agg(
        persons_linked=("party_id", "size"),
        related_enterprises=("others", "sum"),
        o_listed=("o_listed", "sum"),
        o_dishonest=("o_dishonest", "sum"),
        o_penalised=("o_penalised", "sum"),
        o_closed=("o_closed", "sum"),
        legal_rep_other_enterprises=("lr_others", "sum"),
        legal_rep_listed_enterprises=("lr_listed", "sum"),
        max_person_degree=("degree", "max"),
        related_adverse_12m=("o_adverse_12m", "sum"),
        related_adverse_36m=("o_adverse_36m", "sum"),
    )
    denominator = rel.related_enterprises.replace(0, np.nan)
    rel["related_listed_share"] = rel.o_listed / denominator
    rel["related_dishonest_share"] = rel.o_dishonest / denominator
    rel["related_penalised_share_12m"] = rel.o_penalised / denominator
    rel["related_closed_share"] = rel.o_closed / denominator
    rel["related_adverse_rate_12m"] = rel.related_adverse_12m / denominator
    stakes = current[current.party_kind == "enterprise"][["uscc", "party_id"]].drop_duplicates()
    stakes = stakes.join(flags.listed.rename("investor_listed"), on="party_id")
    inbound = stakes.groupby("uscc").agg(
        enterprise_shareholders=("party_id", "size"), investors_listed=("investor_listed", "sum")
    )
    outbound = stakes.groupby("party_id").size().rename("investments_out")
    window = inspections[
        (inspections.inspected_on <= d) & (inspections.inspected_on > _ts(point.months_back(36)))
    ]
    draws = window.groupby("uscc").size().rename("draws_36m")

    alive = enterprises[(enterprises.established_on <= d) & ~(enterprises.deregistered_on <= d)]
    code = alive.region_code
    base = pd.DataFrame(
        {
            "uscc": alive.uscc.values,
            "age_years": ((d - alive.established_on).dt.days / 365.25).values,
            "registered_capital": alive.registered_capital.values,
            "enterprise_type": alive.enterprise_type.values,
            "industry_section": alive.industry_code.str[:1].values,
            "industry_division": alive.industry_code.str[:3].values,
            "prefecture": np.where(code.str[2:4] == "90", code, code.str[:4] + "00"),
            "domain_tag_count": alive.domain_tags.map(lambda v: 0 if v is None else len(v)).values,
            "tag_food": alive.domain_tags.map(lambda v: v is not None and "food" in v).values,
            "tag_drug": alive.domain_tags.map(lambda v: v is not None and "drug" in v).values,
            "tag_special_equipment": alive.domain_tags.map(
                lambda v: v is not None and "special_equipment" in v
            ).values,
        }
    ).set_index("uscc")
    out = base.join(agg).join(rel).join(inbound).join(outbound).join(draws)
    out = out.fillna({f.name: 0 for f in CATALOG if f.unit in ZERO_WHEN_ABSENT})
    out = out.reset_index().sort_values("uscc")
    out = out.copy()  # one block again after hundreds of joined columns
    out.insert(1, "as_of", as_of)
    return out[["uscc", "as_of", *[f.name for f in CATALOG]]]

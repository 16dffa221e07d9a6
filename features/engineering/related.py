"""Related-party features, linear in the number of relation edges.

Risk travels along shared persons (legal representatives, shareholders, executives) and along
investments. Instead of joining enterprise pairs (quadratic for a person holding thousands of
enterprises) every sum is taken per person first and then brought back to each enterprise,
subtracting the enterprise's own contribution so no enterprise counts itself.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from features.engineering.pit import AsOf, current_relations, not_after

FLAGS = ("listed", "dishonest", "penalised", "closed")
COUNTS = ("adverse_12m", "adverse_36m")
"""Per-enterprise counts summed over related enterprises like the flags."""


def enterprise_flags(enterprises: ir.Table, record_features: ir.Table, as_of: AsOf) -> ir.Table:
    """Per enterprise (alive or not): the facts its related enterprises' features read."""
    facts = record_features.select(
        "uscc",
        listed=(
            record_features.abnormal_listed_now
            | record_features.serious_dishonesty_now
            | record_features.dishonest_debtor_now
        ),
        dishonest=record_features.serious_dishonesty_now | record_features.dishonest_debtor_now,
        penalised=record_features._penalised_12m,
        adverse_12m=record_features._adverse_12m,
        adverse_36m=record_features._adverse_36m,
    )
    base = enterprises.select("uscc", closed=not_after(enterprises.deregistered_on, as_of.date))
    joined = base.left_join(facts, "uscc")
    return joined.select(
        base.uscc,
        *[joined[f].fill_null(False).cast("int64").name(f) for f in FLAGS],
        *[joined[c].fill_null(0).cast("int64").name(c) for c in COUNTS],
    )


def person_link_features(relations: ir.Table, flags: ir.Table, as_of: AsOf) -> ir.Table:
    """Features reached through persons: shares of related enterprises listed, penalised…"""
    current = current_relations(relations, as_of)
    persons = current.filter(current.party_kind == "person")
    pairs = persons.group_by(["uscc", "party_id"]).aggregate(
        is_legal_rep=(persons.role == "legal_representative").any()
    )
    with_flags = pairs.join(flags, "uscc")
    per_person = with_flags.group_by("party_id").aggregate(
        degree=with_flags.uscc.count(),
        **{f"p_{f}": with_flags[f].sum() for f in (*FLAGS, *COUNTS)},
    )
    back = with_flags.join(per_person, "party_id")
    others = back.degree - 1
    other = {f: back[f"p_{f}"] - back[f] for f in (*FLAGS, *COUNTS)}
    per_enterprise = back.group_by("uscc").aggregate(
        persons_linked=back.party_id.count(),
        related_enterprises=others.sum(),
        _related_listed=other["listed"].sum(),
        _related_dishonest=other["dishonest"].sum(),
        _related_penalised=other["penalised"].sum(),
        _related_closed=other["closed"].sum(),
        legal_rep_other_enterprises=others.sum(where=back.is_legal_rep),
        legal_rep_listed_enterprises=other["listed"].sum(where=back.is_legal_rep),
        max_person_degree=back.degree.max(),
        related_adverse_12m=other["adverse_12m"].sum(),
        related_adverse_36m=other["adverse_36m"].sum(),
    )
    related = per_enterprise.related_enterprises.nullif(0).cast("float64")
    return per_enterprise.mutate(
        related_listed_share=per_enterprise._related_listed / related,
        related_dishonest_share=per_enterprise._related_dishonest / related,
        related_penalised_share_12m=per_enterprise._related_penalised / related,
        related_closed_share=per_enterprise._related_closed / related,
        related_adverse_rate_12m=per_enterprise.related_adverse_12m / related,
    ).drop("_related_listed", "_related_dishonest", "_related_penalised", "_related_closed")


def investment_features(relations: ir.Table, flags: ir.Table, as_of: AsOf) -> ir.Table:
    """Enterprise shareholders (and whether they are listed) and outgoing investments."""
    current = current_relations(relations, as_of)
    stakes = (
        current.filter(current.party_kind == "enterprise")
        .select("uscc", investor=current.party_id)
        .distinct()
    )
    investor_flags = flags.select(investor=flags.uscc, investor_listed=flags.listed)
    inbound = stakes.left_join(investor_flags, "investor")
    per_investee = inbound.group_by(inbound.uscc).aggregate(
        enterprise_shareholders=inbound.investor.count(),
        investors_listed=inbound.investor_listed.fill_null(0).sum(),
    )
    per_investor = stakes.group_by(uscc=stakes.investor).aggregate(
        investments_out=stakes.uscc.count()
    )
    return per_investee.outer_join(per_investor, "uscc").select(
        uscc=ibis.coalesce(per_investee.uscc, per_investor.uscc),
        enterprise_shareholders=per_investee.enterprise_shareholders,
        investors_listed=per_investee.investors_listed,
        investments_out=per_investor.investments_out,
    )

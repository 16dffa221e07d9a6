"""Persons and relations: legal representatives, shareholders (persons or enterprises),
executives, the planned role changes, and the enterprise × party incidence matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from synthetic.calendar import NO_DATE, Period, business_day, uniform_days
from synthetic.chunks import text_array
from synthetic.params import PERSON_ALPHA, PERSON_MAX_DEGREE_SHARE, TYPE_CODES
from synthetic.population import Enterprises

LR, SHAREHOLDER, EXECUTIVE = 0, 1, 2
PERSON, ENTERPRISE = 0, 1

# Per type: shareholder count choices/probabilities, share of enterprise shareholders, chance the
# legal representative is also the first shareholder, executive count choices/probabilities.
_SHAREHOLDERS = {
    "limited_liability": ((1, 2, 3, 4, 5), (.45, .30, .13, .07, .05), .10, .65,
                          (0, 1, 2, 3), (.30, .35, .25, .10)),
    "joint_stock": ((2, 3, 4, 5), (.10, .30, .30, .30), .25, .20, (2, 3), (.40, .60)),
    "sole_proprietorship": ((1,), (1.0,), 0.0, 1.0, (0, 1), (.80, .20)),
    "partnership": ((2, 3, 4, 5), (.40, .30, .20, .10), .20, .50, (0, 1), (.70, .30)),
    "branch": ((1,), (1.0,), 1.0, 0.0, (0, 1), (.50, .50)),
    "foreign_invested": ((1, 2), (.70, .30), .15, .10, (1, 2, 3), (.30, .40, .30)),
    "farmers_cooperative": ((1, 2, 3, 4, 5), (.05, .10, .15, .20, .50), 0.0, .60,
                            (0, 1), (.70, .30)),
    "individual_business": ((1,), (1.0,), 0.0, 1.0, (0,), (1.0,)),
    "other": ((1, 2), (.80, .20), .10, .50, (0, 1), (.70, .30)),
}
LR_CHANGE_YEARLY = 0.045
SHAREHOLDER_CHANGE_YEARLY = 0.05
FRESH_PERSON_SHARE = 0.7
"""Share of role changes that bring in a person not seen before."""


@dataclass
class Relations:
    """Relation rows (aligned arrays) plus the persons they refer to."""

    ent: np.ndarray
    role: np.ndarray
    party_kind: np.ndarray
    party: np.ndarray
    """Person index, or enterprise index for party_kind ENTERPRISE."""
    share: np.ndarray
    started: np.ndarray
    ended: np.ndarray
    n_persons: int
    person_risk: np.ndarray
    person_ids: pa.Array
    changes: dict[str, np.ndarray]
    """Planned in-period role changes: ent, day, role, old_row, new_row."""

    def incidence(self, n: int) -> sp.csr_matrix:
        """Enterprise × party matrix (persons, then enterprises as investors) of legal
        representative and shareholder links; investors also link to their own column."""
        keep = self.role != EXECUTIVE
        col = np.where(self.party_kind[keep] == PERSON, self.party[keep],
                       self.n_persons + self.party[keep])
        row = self.ent[keep]
        investors = np.unique(self.party[keep][self.party_kind[keep] == ENTERPRISE])
        row = np.concatenate([row, investors])
        col = np.concatenate([col, self.n_persons + investors])
        m = sp.csr_matrix((np.ones(row.shape[0], np.float32), (row, col)),
                          shape=(n, self.n_persons + n))
        m.sum_duplicates()
        m.data[:] = 1.0
        return m


def _choice_by_group(rng: np.random.Generator, group: np.ndarray,
                     options: list[tuple[tuple[int, ...], tuple[float, ...]]]) -> np.ndarray:
    out = np.zeros(group.shape[0], np.int64)
    for g, (values, probs) in enumerate(options):
        mask = group == g
        if mask.any():
            out[mask] = rng.choice(np.array(values), size=int(mask.sum()), p=np.array(probs))
    return out


def _person_ids(rng: np.random.Generator, n: int) -> pa.Array:
    """Pseudonymous ids ``P`` + 10 hex digits, a bijective scramble of the index."""
    mult = np.uint64(0x9E3779B97F4A7C15 & ((1 << 40) - 1) | 1)
    salt = np.uint64(int(rng.integers(0, 1 << 40)))
    mask = np.uint64((1 << 40) - 1)
    value = (np.arange(n, dtype=np.uint64) * mult + salt) & mask
    hexdig = np.frombuffer(b"0123456789ABCDEF", np.uint8)
    out = np.zeros((n, 11), np.uint8)
    out[:, 0] = ord("P")
    for pos in range(10, 0, -1):
        out[:, pos] = hexdig[(value & np.uint64(15)).astype(np.int64)]
        value >>= np.uint64(4)
    return text_array(out.view("S11").ravel().astype(str))


def _degrees(rng: np.random.Generator, slots: int, cap: int) -> np.ndarray:
    """Enterprises-per-person counts (heavy tail) summing to exactly ``slots``."""
    u = rng.random(slots)
    d = np.minimum(np.floor(u ** (-1.0 / PERSON_ALPHA)), cap).astype(np.int64)
    total = np.cumsum(d)
    k = int(np.searchsorted(total, slots)) + 1
    d = d[:k]
    d[-1] -= int(total[k - 1] - slots)
    return d


def build_relations(rng: np.random.Generator, ent: Enterprises, prefecture: np.ndarray,
                    period: Period) -> Relations:
    """Initial roles of every enterprise (persons assigned locally with a heavy-tailed
    number of enterprises per person); role changes are planned later by ``plan_changes``."""
    n = ent.n
    group = ent.type_idx.astype(np.int64)
    specs = [_SHAREHOLDERS[c] for c in TYPE_CODES]
    n_sh = _choice_by_group(rng, group, [(s[0], s[1]) for s in specs])
    n_ex = _choice_by_group(rng, group, [(s[4], s[5]) for s in specs])
    p_ent = np.array([s[2] for s in specs])[group]
    p_lr_sh = np.array([s[3] for s in specs])[group]

    # Shareholder rows, grouped by enterprise.
    sh_ent = np.repeat(np.arange(n), n_sh)
    first = np.concatenate([[0], np.cumsum(n_sh)[:-1]])
    sh_pos = np.arange(sh_ent.shape[0]) - np.repeat(first, n_sh)
    lr_is_sh = rng.random(n) < p_lr_sh
    sh_is_lr = (sh_pos == 0) & lr_is_sh[sh_ent]
    sh_is_ent = ~sh_is_lr & (rng.random(sh_ent.shape[0]) < p_ent[sh_ent])
    branch = TYPE_CODES.index("branch")
    sh_is_ent |= ent.type_idx[sh_ent] == branch

    # Person slots: legal representatives, person shareholders (not the LR), executives.
    ex_ent = np.repeat(np.arange(n), n_ex)
    sh_person_slot = ~sh_is_lr & ~sh_is_ent
    slot_ent = np.concatenate([np.arange(n), sh_ent[sh_person_slot], ex_ent])
    m = slot_ent.shape[0]
    cap = max(2, int(n * PERSON_MAX_DEGREE_SHARE))
    degrees = _degrees(rng, m, cap)
    n_persons = degrees.shape[0]
    order = np.lexsort((rng.random(m), prefecture[slot_ent]))
    slot_person = np.empty(m, np.int64)
    slot_person[order] = np.repeat(np.arange(n_persons), degrees)
    lr_person = slot_person[:n]
    k_sh = int(sh_person_slot.sum())
    sh_party = np.zeros(sh_ent.shape[0], np.int64)
    sh_party[sh_person_slot] = slot_person[n : n + k_sh]
    sh_party[sh_is_lr] = lr_person[sh_ent[sh_is_lr]]
    ex_person = slot_person[n + k_sh :]

    # Enterprise shareholders: companies with heavy-tailed popularity; branches' parents are
    # weighted by capital.
    companies = np.flatnonzero(np.isin(ent.type_idx, [TYPE_CODES.index(c) for c in (
        "limited_liability", "joint_stock", "foreign_invested")]))
    popularity = rng.pareto(1.3, companies.shape[0]) + 0.05
    cap_w = np.nan_to_num(ent.capital[companies], nan=1.0) ** 0.6 + 1.0
    is_branch_row = ent.type_idx[sh_ent] == branch
    inv_rows = np.flatnonzero(sh_is_ent & ~is_branch_row)
    par_rows = np.flatnonzero(is_branch_row)
    for rows, weight in ((inv_rows, popularity), (par_rows, cap_w)):
        if rows.size and companies.size:
            pos = rng.choice(companies.shape[0], size=rows.shape[0], p=weight / weight.sum())
            chosen = companies[pos]
            clash = chosen == sh_ent[rows]
            chosen[clash] = companies[(pos[clash] + 1) % companies.shape[0]]
            sh_party[rows] = chosen
    if companies.size < 2:  # degenerate tiny runs: no investor enterprises
        sh_is_ent[:] = False

    # Shares: gamma weights (first shareholder larger), normalised per enterprise.
    shape = np.where(sh_pos == 0, 2.0, 1.0)
    g = rng.gamma(shape)
    total = np.bincount(sh_ent, weights=g, minlength=n)
    share = np.maximum(np.round(g / total[sh_ent], 4), 0.0001)
    share[is_branch_row] = np.nan

    # Start dates: at establishment, or a pre-period change for some old enterprises.
    def starts(e: np.ndarray, p_later: float) -> np.ndarray:
        est = ent.established[e]
        later = (rng.random(e.shape[0]) < p_later) & (est < period.start_day - 730)
        day = uniform_days(rng, est, np.full(e.shape[0], period.start_day - 1))
        return np.where(later, business_day(day, period.start_day - 1), est).astype(np.int32)

    lr_start = starts(np.arange(n), 0.2)
    sh_start = starts(sh_ent, 0.15)
    sh_start[sh_is_lr] = np.where(lr_is_sh[sh_ent[sh_is_lr]], lr_start[sh_ent[sh_is_lr]],
                                  sh_start[sh_is_lr])
    inv = sh_is_ent
    sh_start[inv] = np.maximum(sh_start[inv], ent.established[sh_party[inv]])
    ex_start = starts(ex_ent, 0.5)

    rows_ent = np.concatenate([np.arange(n), sh_ent, ex_ent]).astype(np.int32)
    role = np.concatenate([np.full(n, LR), np.full(sh_ent.shape[0], SHAREHOLDER),
                           np.full(ex_ent.shape[0], EXECUTIVE)]).astype(np.int8)
    kind = np.concatenate([np.zeros(n), sh_is_ent, np.zeros(ex_ent.shape[0])]).astype(np.int8)
    party = np.concatenate([lr_person, sh_party, ex_person]).astype(np.int64)
    shares = np.concatenate([np.full(n, np.nan), share, np.full(ex_ent.shape[0], np.nan)])
    started = np.concatenate([lr_start, sh_start, ex_start]).astype(np.int32)

    # A person holds a role in an enterprise once (executive slots may repeat the LR).
    key = np.lexsort((party, kind, role, rows_ent))
    dup = np.zeros(key.shape[0], bool)
    same = ((rows_ent[key][1:] == rows_ent[key][:-1]) & (role[key][1:] == role[key][:-1])
            & (kind[key][1:] == kind[key][:-1]) & (party[key][1:] == party[key][:-1]))
    dup[key[1:]] = same
    keep = ~dup
    person_degree = np.bincount(party[keep & (kind == PERSON)], minlength=n_persons)
    person_risk = rng.standard_normal(n_persons) + 0.25 * np.log(np.maximum(person_degree, 1))
    return Relations(
        ent=rows_ent[keep], role=role[keep], party_kind=kind[keep], party=party[keep],
        share=shares[keep], started=started[keep],
        ended=np.full(int(keep.sum()), NO_DATE, np.int32), n_persons=n_persons,
        person_risk=person_risk, person_ids=pa.array([], pa.string()), changes={},
    )


def person_risk_by_enterprise(rel: Relations, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Latent risk of each enterprise's legal representative and mean over person
    shareholders (0 where there are none)."""
    lr = (rel.role == LR) & (rel.party_kind == PERSON)
    lr_z = np.zeros(n)
    lr_z[rel.ent[lr]] = rel.person_risk[rel.party[lr]]
    sh = (rel.role == SHAREHOLDER) & (rel.party_kind == PERSON)
    total = np.bincount(rel.ent[sh], weights=rel.person_risk[rel.party[sh]], minlength=n)
    count = np.bincount(rel.ent[sh], minlength=n)
    return lr_z, np.divide(total, np.maximum(count, 1))


def plan_changes(rng: np.random.Generator, rel: Relations, ent: Enterprises, risk: np.ndarray,
                 period: Period) -> Relations:
    """Add in-period legal-representative and shareholder changes (risky enterprises change
    more often), then name the persons. Changes after an enterprise's end are dropped later."""
    n = ent.n
    lo = np.maximum(period.start_day, ent.established + 30)
    years = np.maximum(period.end_day - lo, 0) / 365.25
    lift = np.exp(0.35 * risk)
    lift /= lift.mean()
    individual = ent.type_idx == TYPE_CODES.index("individual_business")
    lr_rate = LR_CHANGE_YEARLY * years * lift * np.where(individual, 0.3, 1.0)
    n_lr = np.minimum(rng.poisson(lr_rate), 2)
    has_sh = np.isin(ent.type_idx, [TYPE_CODES.index(c) for c in (
        "limited_liability", "joint_stock", "partnership", "foreign_invested", "other",
        "farmers_cooperative")])
    n_shc = np.minimum(rng.poisson(SHAREHOLDER_CHANGE_YEARLY * years * lift ** 0.7 * has_sh), 1)

    cols = {k: [v] for k, v in (("ent", rel.ent), ("role", rel.role), ("kind", rel.party_kind),
                                ("party", rel.party), ("share", rel.share),
                                ("started", rel.started), ("ended", rel.ended))}
    size = rel.ent.shape[0]
    end_updates: list[tuple[np.ndarray, np.ndarray]] = []
    n_persons = rel.n_persons
    person_slots = rel.party[rel.party_kind == PERSON]
    changes: dict[str, list[np.ndarray]] = {k: [] for k in ("ent", "day", "role", "old", "new")}

    def new_persons(k: int) -> np.ndarray:
        nonlocal n_persons
        fresh = rng.random(k) < FRESH_PERSON_SHARE
        out = person_slots[rng.integers(0, person_slots.shape[0], k)] if person_slots.size \
            else np.zeros(k, np.int64)
        out[fresh] = n_persons + np.arange(int(fresh.sum()))
        n_persons += int(fresh.sum())
        return out

    def add(e: np.ndarray, day: np.ndarray, role: int, old: np.ndarray, share: np.ndarray) -> None:
        nonlocal size
        k = e.shape[0]
        new = np.arange(size, size + k)
        size += k
        cols["ent"].append(e.astype(np.int32))
        cols["role"].append(np.full(k, role, np.int8))
        cols["kind"].append(np.zeros(k, np.int8))
        cols["party"].append(new_persons(k))
        cols["share"].append(share)
        cols["started"].append(day)
        cols["ended"].append(np.full(k, NO_DATE, np.int32))
        for key, value in (("ent", e), ("day", day), ("role", np.full(k, role)), ("old", old),
                           ("new", new)):
            changes[key].append(value.astype(np.int64))

    # Legal representatives: chain up to two changes in date order.
    current = np.full(n, -1, np.int64)
    lr_rows = np.flatnonzero(rel.role == LR)
    current[rel.ent[lr_rows]] = lr_rows
    d1 = business_day(uniform_days(rng, lo, np.full(n, period.end_day)), period.end_day)
    d2 = business_day(uniform_days(rng, lo, np.full(n, period.end_day)), period.end_day)
    days = np.sort(np.stack([d1, d2]), axis=0)
    for k in range(2):
        e = np.flatnonzero((n_lr > k) & (current >= 0))
        day = days[k, e] if k else np.where(n_lr[e] == 1, d1[e], days[0, e])
        old = current[e]
        end_updates.append((old, day))
        add(e, day, LR, old, np.full(e.shape[0], np.nan))
        current[e] = np.arange(size - e.shape[0], size)

    # Shareholders: one person or enterprise shareholder hands its share to a new person.
    sh_rows = np.flatnonzero(rel.role == SHAREHOLDER)
    count = np.bincount(rel.ent[sh_rows], minlength=n)
    first = np.full(n, -1, np.int64)
    first[rel.ent[sh_rows][::-1]] = sh_rows[::-1]
    e = np.flatnonzero((n_shc > 0) & (count > 0))
    old = first[e] + np.floor(rng.random(e.shape[0]) * count[e]).astype(np.int64)
    day = business_day(uniform_days(rng, np.maximum(lo[e], rel.started[old] + 1),
                                    np.full(e.shape[0], period.end_day)), period.end_day)
    ok = day > rel.started[old]
    e, old, day = e[ok], old[ok], day[ok]
    end_updates.append((old, day))
    add(e, day, SHAREHOLDER, old, rel.share[old])

    out = {k: np.concatenate(v) for k, v in cols.items()}
    for rows, days_ in end_updates:
        out["ended"][rows] = days_
    return Relations(
        ent=out["ent"], role=out["role"], party_kind=out["kind"], party=out["party"],
        share=out["share"], started=out["started"], ended=out["ended"], n_persons=n_persons,
        person_risk=rel.person_risk, person_ids=_person_ids(rng, n_persons),
        changes={k: np.concatenate(v) if v else np.zeros(0, np.int64)
                 for k, v in changes.items()},
    )


def finalize(rel: Relations, end_day: np.ndarray) -> Relations:
    """Drop changes planned after an enterprise's end (``end_day`` per enterprise) and restore
    the roles they would have ended."""
    ch = rel.changes
    late = ch["day"] > end_day[ch["ent"]]
    ended = rel.ended.copy()
    ended[ch["old"][late]] = NO_DATE
    keep = np.ones(rel.ent.shape[0], bool)
    keep[ch["new"][late]] = False
    # A later change of the same role may have ended a row we drop: nothing else refers to it.
    return Relations(
        ent=rel.ent[keep], role=rel.role[keep], party_kind=rel.party_kind[keep],
        party=rel.party[keep], share=rel.share[keep], started=rel.started[keep],
        ended=ended[keep], n_persons=rel.n_persons, person_risk=rel.person_risk,
        person_ids=rel.person_ids, changes={k: v[~late] for k, v in ch.items()},
    )


"""Static per-enterprise rate multipliers of the Poisson record types."""

from __future__ import annotations

import numpy as np

from features.reference import industries
from synthetic.params import POISSON_TYPES, TYPE_CODES, PoissonSpec
from synthetic.population import Enterprises

_LETTERS = tuple(s.letter for s in industries.SECTIONS)


def _in_sections(ent: Enterprises, letters: str) -> np.ndarray:
    return np.isin(ent.section, [_LETTERS.index(c) for c in letters])


def _in_divisions(ent: Enterprises, codes: tuple[str, ...]) -> np.ndarray:
    idx = [i for i, c in enumerate(ent.industry_codes) if c in codes]
    return np.isin(ent.industry, idx)


def _types(ent: Enterprises, names: tuple[str, ...]) -> np.ndarray:
    return np.isin(ent.type_idx, [TYPE_CODES.index(n) for n in names])


def eligibility(spec: PoissonSpec, ent: Enterprises) -> np.ndarray:
    """Which enterprises a type applies to, and how strongly (industry/type multipliers)."""
    one = np.ones(ent.n)
    code = spec.code
    if code == "equity_pledge":
        return _types(ent, ("limited_liability", "joint_stock", "foreign_invested",
                            "partnership")).astype(float)
    if code == "ip_pledge":
        return np.where(_in_sections(ent, "CIM"), 3.0, 0.3)
    if code == "product_quality_sampling":
        return np.where(_in_sections(ent, "C"), 2.5, np.where(_in_sections(ent, "F"), 1.0, 0.0))
    if code == "unlicensed_operation":
        return np.where(_in_sections(ent, "FHOGEA"), 1.0, 0.4)
    if code == "complaint":
        consumer = _in_divisions(ent, ("F52", "G54", "K70")) | _in_sections(ent, "HOPQR")
        return np.where(consumer, 2.0, 0.5)
    if code == "licence":
        return np.where(ent.tags != 0, 2.0, np.where(_in_sections(ent, "GEKQPRHBD"), 1.5, 1.0))
    if code == "small_business_support":
        return np.where(_types(ent, ("joint_stock", "foreign_invested", "branch")), 0.2, 1.0)
    return one


def static_multipliers(ent: Enterprises, risk: np.ndarray) -> np.ndarray:
    """(types × enterprises) float32 multipliers: risk and size effects (each renormalised to
    mean 1 over the enterprises alive at the start), individual-business factor, eligibility."""
    alive0 = ~ent.born_in_period
    individual = ent.type_idx == TYPE_CODES.index("individual_business")
    out = np.empty((len(POISSON_TYPES), ent.n), np.float32)
    for k, spec in enumerate(POISSON_TYPES):
        risk_f = np.exp(spec.risk * risk)
        risk_f /= risk_f[alive0].mean() if alive0.any() else risk_f.mean()
        size_f = np.exp(spec.size * ent.capz)
        size_f /= size_f.mean()
        out[k] = (spec.monthly * risk_f * size_f * np.where(individual, spec.individual, 1.0)
                  * eligibility(spec, ent))
    return out

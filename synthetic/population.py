"""The enterprises of the synthetic province: attributes, codes, names and domain tags."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from features.reference import industries, uscc
from features.reference.record_types import DOMAINS
from synthetic import names
from synthetic.calendar import Period, business_day, uniform_days
from synthetic.chunks import text_array
from synthetic.params import (
    COOPERATIVE,
    DIVISION_WEIGHTS,
    DOMAIN_RULES,
    INDIVIDUAL,
    INDIVIDUAL_DIVISION_WEIGHTS,
    MONTH_SEASON,
    SECTION_WEIGHTS,
    TYPES,
)
from synthetic.regions import Geography

YEARLY_BIRTH_RATE = 0.11
"""New registrations per year relative to the stock at the period start."""
USCC_SINCE = np.datetime64("2016-01-01")
"""Enterprises registered since then got ``MA…`` organisation bodies; older ones numeric."""


@dataclass
class Enterprises:
    """One row per enterprise (index = position); arrays are aligned."""

    n: int
    type_idx: np.ndarray
    region: np.ndarray
    industry: np.ndarray
    industry_codes: tuple[str, ...]
    section: np.ndarray
    """Section letter index (0 = A) of each enterprise."""
    capital: np.ndarray
    """Registered capital in 万元; NaN where empty."""
    capz: np.ndarray
    """Standardised log capital within type (0 where empty)."""
    established: np.ndarray
    born_in_period: np.ndarray
    tags: np.ndarray
    """Bit mask over ``DOMAINS``."""
    uscc: pa.Array
    name: pa.Array

    def has_tag(self, domain: str) -> np.ndarray:
        return (self.tags & (1 << DOMAINS.index(domain))) != 0


def industry_table() -> tuple[tuple[str, ...], np.ndarray, dict[str, np.ndarray]]:
    """Industry codes (section + division), their section index and per-family probabilities."""
    codes: list[str] = []
    section: list[int] = []
    for s, sec in enumerate(industries.SECTIONS):
        for div in industries.divisions(sec.letter):
            codes.append(sec.letter + div)
            section.append(s)
    section_arr = np.array(section, np.int8)
    letters = [s.letter for s in industries.SECTIONS]
    probs: dict[str, np.ndarray] = {}
    for family, sw in SECTION_WEIGHTS.items():
        dw = np.array([
            (INDIVIDUAL_DIVISION_WEIGHTS if family == "individual" else {}).get(
                c, DIVISION_WEIGHTS.get(c, 1.0))
            for c in codes
        ])
        within = np.zeros(len(codes))
        for s, letter in enumerate(letters):
            mask = section_arr == s
            if letter in sw and dw[mask].sum() > 0:
                within[mask] = sw[letter] * dw[mask] / dw[mask].sum()
        probs[family] = within / within.sum()
    return tuple(codes), section_arr, probs


def _nice_capital(rng: np.random.Generator, raw: np.ndarray) -> np.ndarray:
    """Round most capitals to one or two significant figures, as people register them."""
    magnitude = 10.0 ** np.floor(np.log10(np.maximum(raw, 1e-3)))
    one = np.round(raw / magnitude) * magnitude
    two = np.round(raw / magnitude * 10) * magnitude / 10
    u = rng.random(raw.shape[0])
    return np.where(u < 0.6, one, np.where(u < 0.9, two, np.round(raw, 2)))


def _bodies(rng: np.random.Generator, established: np.ndarray,
            individual: np.ndarray) -> np.ndarray:
    """Unique 8-character organisation-code bodies (numeric, ``MA…`` or ``L…``)."""
    n = established.shape[0]
    new = established >= (USCC_SINCE - np.datetime64("1970-01-01")).astype(int)
    kind = np.where(new, 1, np.where(individual, 2, 0))
    space = np.array([10**8, 31**6, 31**7], np.int64)
    base = np.array([0, 10**8, 10**8 + 31**6], np.int64)
    value = base[kind] + np.floor(rng.random(n) * space[kind]).astype(np.int64)
    while True:  # redraw the (rare) collisions until every body is unique
        order = np.argsort(value, kind="stable")
        dup = np.zeros(n, bool)
        dup[order[1:]] = value[order[1:]] == value[order[:-1]]
        if not dup.any():
            break
        value[dup] = base[kind[dup]] + np.floor(
            rng.random(int(dup.sum())) * space[kind[dup]]).astype(np.int64)
    alphabet = np.frombuffer(uscc.ALPHABET.encode(), np.uint8)
    digits = np.frombuffer(b"0123456789", np.uint8)
    out = np.zeros((n, 8), np.uint8)
    # kind: (prefix, number of random characters, their alphabet)
    layouts = ((b"", 8, digits), (b"MA", 6, alphabet), (b"L", 7, alphabet))
    for k, (prefix, width, chars) in enumerate(layouts):
        mask = kind == k
        rest = value[mask] - base[k]
        block = np.zeros((int(mask.sum()), 8), np.uint8)
        block[:, : len(prefix)] = np.frombuffer(prefix, np.uint8) if prefix else 0
        for pos in range(7, 7 - width, -1):
            block[:, pos] = chars[rest % len(chars)]
            rest //= len(chars)
        out[mask] = block
    return out.view("S8").ravel()


def _domain_tags(rng: np.random.Generator, industry_codes: tuple[str, ...],
                 industry: np.ndarray) -> np.ndarray:
    """Domain bit masks from ``DOMAIN_RULES`` (longest matching prefix per domain wins)."""
    prob = np.zeros((len(industry_codes), len(DOMAINS)))
    best = np.full((len(industry_codes), len(DOMAINS)), -1)
    for prefix, domain, p in DOMAIN_RULES:
        d = DOMAINS.index(domain)
        for i, code in enumerate(industry_codes):
            if code.startswith(prefix) and len(prefix) > best[i, d]:
                best[i, d] = len(prefix)
                prob[i, d] = p
    draws = rng.random((industry.shape[0], len(DOMAINS))) < prob[industry]
    return (draws * (1 << np.arange(len(DOMAINS)))).sum(axis=1).astype(np.uint8)


def build_enterprises(rng: np.random.Generator, n: int, period: Period,
                      geo: Geography) -> Enterprises:
    """Draw ``n`` enterprises: those alive at the period start and those born during it."""
    shares = np.array([t.share for t in TYPES])
    type_idx = rng.choice(len(TYPES), size=n, p=shares / shares.sum()).astype(np.int8)
    region = rng.choice(len(geo.codes), size=n, p=geo.weights).astype(np.int32)

    codes, section_of, probs = industry_table()
    family = np.where(type_idx == INDIVIDUAL, 1, np.where(type_idx == COOPERATIVE, 2, 0))
    industry = np.zeros(n, np.int16)
    for f, key in enumerate(("general", "individual", "cooperative")):
        mask = family == f
        industry[mask] = rng.choice(len(codes), size=int(mask.sum()), p=probs[key])

    # Establishment: a share born during the period (seasonal), the rest with heavy-tailed ages.
    born_share = 1 - (1 + YEARLY_BIRTH_RATE) ** (-period.months / 12)
    born = rng.random(n) < born_share
    months = np.arange(period.months)
    season = np.array([MONTH_SEASON[period.calendar_month(int(t)) - 1] for t in months])
    w = season * 1.03 ** (months / 12)
    birth_month = rng.choice(period.months, size=n, p=w / w.sum())
    lo = period.month_starts[birth_month]
    hi = period.month_starts[birth_month + 1] - 1
    born_day = business_day(uniform_days(rng, lo, hi), hi)
    median_age = np.where(type_idx == INDIVIDUAL, 3.5, np.where(type_idx == COOPERATIVE, 6.0, 5.0))
    sigma = np.where(type_idx == COOPERATIVE, 0.5, 0.9)
    age_years = np.clip(median_age * np.exp(sigma * rng.standard_normal(n)), 0.02, 40.0)
    old_day = business_day(period.start_day - np.ceil(age_years * 365.25).astype(np.int32),
                           period.start_day - 1)
    established = np.where(born, born_day, old_day).astype(np.int32)

    capital = np.full(n, np.nan)
    capz = np.zeros(n, np.float32)
    for t, spec in enumerate(TYPES):
        mask = (type_idx == t) & (rng.random(n) >= spec.capital_null)
        k = int(mask.sum())
        if k == 0 or spec.capital_median <= 0:
            continue
        z = rng.standard_normal(k)
        capital[mask] = _nice_capital(rng, spec.capital_median * np.exp(spec.capital_sigma * z))
        capz[mask] = z
    tags = _domain_tags(rng, codes, industry)

    org_types = np.array([t.org_type for t in TYPES])
    bodies = _bodies(rng, established, type_idx == INDIVIDUAL)
    region_codes = np.array(geo.codes)
    codes_out = np.empty(n, dtype="U18")
    for org in sorted(set(org_types.tolist())):
        mask = org_types[type_idx] == org
        if mask.any():
            codes_out[mask] = uscc.compose("9", org, region_codes[region[mask]], bodies[mask])

    pref_short = tuple(p.removesuffix("市") for p in geo.prefecture_names)
    name = names.enterprise_names(
        rng, type_idx=type_idx, industry_idx=industry, industry_codes=codes,
        place_idx=_place_index(type_idx, region, geo),
        places=geo.short_names + pref_short, prefecture_idx=geo.prefecture_of[region],
        prefectures=pref_short,
    )
    return Enterprises(
        n=n, type_idx=type_idx, region=region, industry=industry, industry_codes=codes,
        section=section_of[industry], capital=capital, capz=capz, established=established,
        born_in_period=born, tags=tags, uscc=text_array(codes_out), name=name,
    )


def _place_index(type_idx: np.ndarray, region: np.ndarray, geo: Geography) -> np.ndarray:
    """Individual businesses and cooperatives are named after their county, others after the
    prefecture (indices into ``geo.short_names + prefecture short names``)."""
    local = (type_idx == INDIVIDUAL) | (type_idx == COOPERATIVE)
    return np.where(local, region, len(geo.codes) + geo.prefecture_of[region])

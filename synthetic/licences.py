"""Licence types of the synthetic province's licence records (`features.reference.licences`).

Each enterprise has the licence types its trade would need, from its domain tags and industry
alone (never from its risk or anything the model is scored on):

- food: food production in manufacturing (C), a food business licence otherwise;
- drugs: drug manufacturing (C27) or a drug business licence in wholesale and retail (F);
- medical devices: production in manufacturing, a business licence in wholesale and retail;
- cosmetics: cosmetics production in manufacturing (retail needs no licence);
- special equipment: its use registration; industrial products: their production licence;
- road transport (G54), construction (E): their operating licence and qualification;
- mining and utilities (B, D) and about 40 % of manufacturers: a pollutant discharge permit;
- an enterprise none of these fits: ``other``.

Each licence record (grant, renewal or revocation) names one of its enterprise's types, drawn
uniformly. The draws use a random stream of their own, so the other tables do not change.
"""

from __future__ import annotations

import numpy as np

from features.reference.industries import SECTIONS
from features.reference.licences import LICENCE_CODES
from synthetic.population import Enterprises

POLLUTER_SHARE = 0.4
"""Share of manufacturers (section C) holding a pollutant discharge permit (排污许可)."""
_SECTION = {s.letter: i for i, s in enumerate(SECTIONS)}
_TYPE = {code: i for i, code in enumerate(LICENCE_CODES)}


def candidates(rng: np.random.Generator, ent: Enterprises) -> np.ndarray:
    """Enterprises × licence types: which types each enterprise may hold (≥ 1 per row)."""
    held = np.zeros((ent.n, len(LICENCE_CODES)), bool)
    division = np.array([code[:3] for code in ent.industry_codes])[ent.industry]
    maker = ent.section == _SECTION["C"]
    trader = ent.section == _SECTION["F"]

    def give(code: str, where: np.ndarray) -> None:
        held[:, _TYPE[code]] |= where

    give("food_production", ent.has_tag("food") & maker)
    give("food_business", ent.has_tag("food") & ~maker)
    give("drug_production", ent.has_tag("drug") & (division == "C27"))
    give("drug_business", ent.has_tag("drug") & trader)
    give("medical_device_production", ent.has_tag("medical_device") & maker)
    give("medical_device_business", ent.has_tag("medical_device") & trader)
    give("cosmetics_production", ent.has_tag("cosmetics") & maker)
    give("special_equipment_use", ent.has_tag("special_equipment"))
    give("industrial_product_production", ent.has_tag("industrial_product"))
    give("road_transport", division == "G54")
    give("construction_qualification", ent.section == _SECTION["E"])
    give("pollutant_discharge", np.isin(ent.section, [_SECTION["B"], _SECTION["D"]])
         | (maker & (rng.random(ent.n) < POLLUTER_SHARE)))
    give("other", ~held.any(axis=1))
    return held


def licence_types(rng: np.random.Generator, held: np.ndarray, ents: np.ndarray) -> np.ndarray:
    """For licence records of enterprises ``ents``: the index into `LICENCE_CODES` of each
    record's type, uniform among its enterprise's `candidates`."""
    rows = held[ents]
    count = rows.sum(axis=1)
    pick = (rng.random(ents.size) * count).astype(np.int64)  # 0 … count - 1
    rank = np.cumsum(rows, axis=1) - 1  # position of each held type among the row's types
    return np.argmax(rows & (rank == pick[:, None]), axis=1).astype(np.int8)

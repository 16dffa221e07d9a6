"""The hidden risk: a static base risk per enterprise plus a self-exciting (Hawkes-like) state
driven by each enterprise's own adverse events and, with a lag, by those of enterprises that
share a legal representative, shareholder or investor with it."""

from __future__ import annotations

from collections import deque

import numpy as np
import scipy.sparse as sp

from features.reference import industries
from synthetic.calendar import Period
from synthetic.params import (
    NETWORK_DECAY,
    NETWORK_JUMP,
    NETWORK_LAG,
    SECTION_RISK,
    SELF_DECAY,
    SELF_JUMP,
    TYPES,
)
from synthetic.population import Enterprises
from synthetic.scenarios import INTERACTION_SECTIONS, SCENARIOS, Scenario

ZOMBIE_SHARE = 0.07
"""Share of dormant or shell enterprises (a latent risky minority)."""
ZOMBIE_LIFT = 1.6


def base_risk(rng: np.random.Generator, ent: Enterprises, region_prefecture: np.ndarray,
              n_regions: int, n_prefectures: int, lr_z: np.ndarray, sh_z: np.ndarray,
              period: Period, scenario: Scenario = SCENARIOS["default"]) -> np.ndarray:
    """Base risk logit from attributes, related persons, region and a latent shell flag,
    reweighted as the scenario says (the default scenario adds exactly nothing)."""
    n = ent.n
    type_eff = np.array([t.risk for t in TYPES])[ent.type_idx]
    letters = [s.letter for s in industries.SECTIONS]
    sec_eff = np.array([SECTION_RISK[letter] for letter in letters])[ent.section]
    pref_eff = rng.normal(0.0, 0.15, n_prefectures)
    reg_eff = rng.normal(0.0, 0.10, n_regions)
    geo_eff = pref_eff[region_prefecture[ent.region]] + reg_eff[ent.region]
    age = np.maximum(period.start_day - ent.established, 0) / 365.25
    age_eff = 0.45 * np.exp(-age / 2.5) - 0.2 * np.minimum(age, 20) / 20
    cap_eff = np.where(np.isnan(ent.capital), 0.1, -0.12 * ent.capz)
    zombie = rng.random(n) < ZOMBIE_SHARE
    noise = rng.normal(0.0, 0.55, n)
    r = (type_eff + sec_eff + geo_eff + age_eff + cap_eff + 0.45 * lr_z + 0.25 * sh_z + noise
         + ZOMBIE_LIFT * zombie)
    if scenario.interaction:  # capital matters only through the industry it is in
        capz = np.nan_to_num(ent.capz)
        heavy = np.isin(np.asarray(letters)[ent.section], INTERACTION_SECTIONS)
        r += scenario.interaction * np.where(heavy, capz, -capz) - cap_eff
    attributes = type_eff + sec_eff + geo_eff + age_eff + cap_eff
    r += ((scenario.attribute_weight - 1.0) * attributes
          + (scenario.person_weight - 1.0) * (0.45 * lr_z + 0.25 * sh_z))
    return r - r.mean()


class Excitation:
    """Self and network excitation, updated once a month from adverse-event weights.

    Network spill-over is linear in the number of links: adverse weight is summed per party
    (person or investor), scaled by 1/sqrt(party degree) so that nominee hubs do not saturate
    everything, and summed back per enterprise without its own contribution.
    """

    def __init__(self, incidence: sp.csr_matrix, network_jump: float = NETWORK_JUMP) -> None:
        n = incidence.shape[0]
        self.network_jump = network_jump
        self.trend: np.ndarray | float = 0.0
        """A drift of the risk level set by the scenario each month (0 by default)."""
        self.incidence = incidence
        self.incidence_t = incidence.T.tocsr()
        degree = np.asarray(incidence.sum(axis=0)).ravel()
        self.party_scale = 1.0 / np.sqrt(np.maximum(degree, 1.0))
        self.self_weight = incidence @ self.party_scale
        self.own = np.zeros(n)
        self.network = np.zeros(n)
        self.queue: deque[np.ndarray] = deque()

    @property
    def level(self) -> np.ndarray:
        """Current excitation (and any drift) added to the base risk logit."""
        return self.own + self.network + self.trend

    def update(self, adverse: np.ndarray) -> None:
        """Advance one month given this month's adverse weight per enterprise."""
        capped = np.minimum(adverse, 3.0)
        self.own = SELF_DECAY * self.own + SELF_JUMP * capped
        per_party = (self.incidence_t @ capped) * self.party_scale
        spill = np.maximum(self.incidence @ per_party - capped * self.self_weight, 0.0)
        self.queue.append(spill)
        self.network *= NETWORK_DECAY
        if len(self.queue) > NETWORK_LAG - 1:
            self.network += self.network_jump * np.log1p(self.queue.popleft())

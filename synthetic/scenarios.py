"""Synthetic scenarios: causal structures other than the default province's, to judge the
pipeline on data it was not designed on.

Each scenario changes *how risk arises or is detected*, never the data contract, and every
one exports its hidden per-enterprise risk (``_hidden_risk.parquet``) so an oracle AUC can be
computed. None is tuned to any model: the strengths below are fixed by the story each one
tells, chosen before any model was trained on it.

- ``default``: the province as designed — attributes, a latent shell minority, related
  persons, self- and network-excitation.
- ``network``: risk is mostly carried by the persons behind an enterprise: the persons'
  latent risk weighs four times as much in the base risk, the attribute effects a third, and
  adverse events spill over three times as strongly along shared persons.
- ``interaction``: industry × capital: in manufacturing, construction, real estate and
  mining (C, E, K, B) large registered capital is risky (over-leveraged projects), elsewhere
  small capital is; capital's own main effect is removed, so no single attribute shows it.
- ``drift``: the base risk rises over the period for everyone (0.5 logit a year) and twice as
  fast in wholesale/retail and leasing (F, L): a model trained on early months under-rates
  late ones unless it ranks rather than memorises levels.
- ``campaign``: a regional enforcement campaign: in four prefectures (Zhengzhou, Luoyang,
  Nanyang, Zhoukou) during the middle third of the period, penalties, unlicensed-operation
  findings and complaints are detected three times as often, without any change in risk —
  detection, not behaviour, moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    person_weight: float = 1.0
    """Multiplier on the related persons' latent risk in the base risk."""
    attribute_weight: float = 1.0
    """Multiplier on type, industry, region, age and capital effects in the base risk."""
    network_jump: float = 1.0
    """Multiplier on adverse spill-over along shared persons."""
    interaction: float = 0.0
    """Strength of the industry × capital term (logit per standard deviation of capital)."""
    trend_per_year: float = 0.0
    """Rise of every enterprise's risk level, logit per year."""
    trend_sections: tuple[str, ...] = ()
    """Industry sections whose risk rises twice as fast."""
    campaign_lift: float = 1.0
    """Detection multiplier inside the campaign (1: no campaign)."""
    campaign_prefectures: tuple[str, ...] = ()
    campaign_types: tuple[str, ...] = ()

    def trend(self, month: int, months: int, sections: np.ndarray, letters: list[str]
              ) -> np.ndarray | float:
        """The drift added to the risk level in month ``month`` (0 when there is none)."""
        if not self.trend_per_year:
            return 0.0
        fast = np.isin(np.asarray(letters)[sections], self.trend_sections)
        return self.trend_per_year * month / 12 * np.where(fast, 2.0, 1.0)

    def in_campaign(self, month: int, months: int) -> bool:
        return self.campaign_lift != 1.0 and months // 3 <= month < 2 * months // 3


INTERACTION_SECTIONS = ("C", "E", "K", "B")
SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("default", "the province as designed"),
    Scenario("network", "risk carried by the persons behind enterprises", person_weight=4.0,
             attribute_weight=1 / 3, network_jump=3.0),
    Scenario("interaction", "industry × capital interaction, no capital main effect",
             interaction=0.8),
    Scenario("drift", "base risk rising over the period, faster in F and L",
             trend_per_year=0.5, trend_sections=("F", "L")),
    Scenario("campaign", "a regional enforcement campaign changes detection, not risk",
             campaign_lift=3.0,
             campaign_prefectures=("410100", "410300", "411300", "411600"),
             campaign_types=("administrative_penalty", "unlicensed_operation", "complaint")),
)}


def scenario(name: str) -> Scenario:
    """The scenario called ``name``; an unknown one is an error listing them."""
    if name not in SCENARIOS:
        raise ValueError(f"scenario: expected one of {', '.join(SCENARIOS)}, found {name!r}")
    return SCENARIOS[name]

"""The internal risk level: A (low risk) … D (high risk), one vocabulary everywhere.

A *level* is the internal class A–D that rules, fusion, stored results and the API speak of;
its *label* is how a jurisdiction profile presents it (Hohhot calls level D "A 红色"). Scores
become levels only through a profile's cut points (`models.policy.profiles.Profile.levels_of`).
"""

from __future__ import annotations

from typing import Literal, get_args

RiskLevel = Literal["A", "B", "C", "D"]
"""An internal risk level, lowest risk first."""
LEVELS: tuple[RiskLevel, ...] = get_args(RiskLevel)
LEVEL_INDEX: dict[str, int] = {level: i for i, level in enumerate(LEVELS)}
"""Position of each level, 0 = A … 3 = D."""

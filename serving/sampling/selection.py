"""Who is drawn: counts per class, the budget's allocation, the hash ranking and the batches.

Everything here is exact and needs no random-number generator, so anyone can recompute a draw
from its published record (docs/draws.md):

- a class's count is ⌈ratio × N⌉ (ratio in percent, exact rational arithmetic: 3 % of 100 is
  3, never 4), which is at least one when the class is non-empty and its ratio positive;
- a total budget is allocated in proportion to ratio × N, never below those counts (the
  floors) nor above N, by the exact water level λ with Σ clamp(λ·ratio·N, floor, N) = budget,
  then rounded by largest remainder (ties: the higher-risk class first);
- within each class, candidates are ranked by ``sha256(seed|task|uscc)`` (hex, ascending),
  enterprises not recently inspected first; the first ``count`` are drawn.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

CLASSES = ("A", "B", "C", "D")
"""The internal risk levels, lowest risk first."""
MODES = ("combined", "per-class", "batched")
KEY_BATCH = "K"
"""The batch of the key list (重点监管 / 触发式 targets forced in)."""
_RATIO = re.compile(r"^\s*([A-D])\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*$")


class ShortBudget(ValueError):
    """The budget cannot cover the classes' floors; ``shortfall`` inspections are missing."""

    def __init__(self, budget: int, floors: Mapping[str, int]) -> None:
        self.budget, self.floors = budget, dict(floors)
        self.shortfall = sum(floors.values()) - budget
        shown = ", ".join(f"{c} {n}" for c, n in floors.items() if n)
        super().__init__(f"budget: {budget} inspections cannot cover the ratios' floors "
                         f"({shown}: {sum(floors.values())} in all); {self.shortfall} short")


def parse_ratios(text: str) -> dict[str, Fraction]:
    """``A=1,B=3,C=10,D=20`` (percent) as exact fractions; a ValueError naming the part at
    fault. Classes left out get ratio 0 (not drawn)."""
    ratios = dict.fromkeys(CLASSES, Fraction(0))
    seen = set()
    for part in text.split(","):
        match = _RATIO.match(part)
        if not match:
            raise ValueError(f"ratios: expected CLASS=PERCENT pairs such as A=1,B=3,C=10,D=20, "
                             f"found {part.strip()!r}")
        level, value = match.group(1), Fraction(match.group(2))
        if level in seen:
            raise ValueError(f"ratios: class {level} given twice")
        if value > 100:
            raise ValueError(f"ratios: expected a percentage from 0 to 100 for {level}, "
                             f"found {match.group(2)}")
        seen.add(level)
        ratios[level] = value
    return ratios


def ratio_counts(sizes: Mapping[str, int], ratios: Mapping[str, Fraction]) -> dict[str, int]:
    """⌈ratio × N / 100⌉ per class (0 for an empty class or a zero ratio)."""
    return {c: math.ceil(Fraction(ratios.get(c, 0)) * sizes.get(c, 0) / 100) for c in CLASSES}


def budget_counts(sizes: Mapping[str, int], ratios: Mapping[str, Fraction],
                  budget: int) -> dict[str, int]:
    """``budget`` inspections across the classes in proportion to ratio × N, each class at
    least its floor (`ratio_counts`) and at most N. `ShortBudget` when the floors need more;
    a ValueError when the budget exceeds every enterprise the ratios cover."""
    floors = ratio_counts(sizes, ratios)
    if sum(floors.values()) > budget:
        raise ShortBudget(budget, floors)
    weights = {c: Fraction(ratios.get(c, 0)) * sizes.get(c, 0) for c in CLASSES}
    drawn = [c for c in CLASSES if weights[c] > 0]
    room = sum(sizes[c] for c in drawn)
    if budget > room:
        raise ValueError(f"budget: expected at most {room} inspections (every enterprise of "
                         f"the classes with a positive ratio), found {budget}")
    if not drawn:
        return dict.fromkeys(CLASSES, 0)

    def total(level: Fraction) -> Fraction:
        return sum((min(max(level * weights[c], Fraction(floors[c])), Fraction(sizes[c]))
                    for c in drawn), Fraction(0))

    breakpoints = sorted({Fraction(floors[c]) / weights[c] for c in drawn}
                         | {Fraction(sizes[c]) / weights[c] for c in drawn})
    low = Fraction(0)
    level = breakpoints[-1]
    for point in breakpoints:
        if total(point) >= budget:
            # total is linear between low and point: solve it exactly.
            at_low, at_point = total(low), total(point)
            level = point if at_point == at_low else (
                low + (point - low) * (budget - at_low) / (at_point - at_low))
            break
        low = point
    quotas = {c: min(max(level * weights[c], Fraction(floors[c])), Fraction(sizes[c]))
              for c in drawn}
    counts = {c: math.floor(q) for c, q in quotas.items()}
    left = budget - sum(counts.values())
    order = sorted(drawn, key=lambda c: (-(quotas[c] - counts[c]), -CLASSES.index(c)))
    for c in order[:left]:
        counts[c] += 1
    return {c: counts.get(c, 0) for c in CLASSES}


def rank_key(seed: str, task: str, uscc: str) -> str:
    """The ranking hash of one enterprise: ``sha256(f"{seed}|{task}|{uscc}")`` in lowercase
    hex, over UTF-8 bytes."""
    return hashlib.sha256(f"{seed}|{task}|{uscc}".encode()).hexdigest()


@dataclass(frozen=True)
class Member:
    """One enterprise of a draw's frozen population."""

    uscc: str
    risk_level: str
    recent: bool
    """Inspected (or drawn) within the window: drawn only when its class needs it."""
    items: tuple[str, ...]

    def line(self) -> str:
        return f"{self.uscc}|{self.risk_level}|{int(self.recent)}|{';'.join(self.items)}\n"


def population_sha256(members: Iterable[Member]) -> str:
    """sha256 of the population's lines ``uscc|class|recent(0/1)|item;item`` sorted by uscc,
    each ended by a newline (UTF-8)."""
    digest = hashlib.sha256()
    for member in sorted(members, key=lambda m: m.uscc):
        digest.update(member.line().encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Pick:
    """One drawn target."""

    uscc: str
    risk_level: str
    items: tuple[str, ...]
    part: str
    """``random`` (the hash ranking) or ``key`` (forced in: 重点监管 / 触发式)."""
    batch: str
    rank: str
    """Its ranking hash (for the key list too, for the record)."""
    position: int
    """1-based position in its class's ranking (key list: in its own ranking)."""
    recent: bool
    reason: str | None = None


def select(members: Sequence[Member], seed: str, task: str, counts: Mapping[str, int],
           forced: Mapping[str, str], mode: str, batches: int = 1) -> list[Pick]:
    """The targets: the key list ``forced`` (uscc → reason) apart, then per class the first
    ``counts[class]`` candidates by (recent, rank hash); batches by ``mode`` (combined: one
    batch ``1``; per-class: the class; batched: position modulo ``batches``, from ``1``; the
    key list: batch ``K``)."""
    if mode not in MODES:
        raise ValueError(f"mode: expected one of {', '.join(MODES)}, found {mode!r}")
    picks: list[Pick] = []
    keyed = sorted((m for m in members if m.uscc in forced),
                   key=lambda m: rank_key(seed, task, m.uscc))
    for position, member in enumerate(keyed, 1):
        picks.append(Pick(member.uscc, member.risk_level, member.items, "key", KEY_BATCH,
                          rank_key(seed, task, member.uscc), position, member.recent,
                          forced[member.uscc]))
    for level in CLASSES:
        candidates = sorted(
            ((m.recent, rank_key(seed, task, m.uscc), m) for m in members
             if m.risk_level == level and m.uscc not in forced),
            key=lambda entry: (entry[0], entry[1]))
        for position, (_, rank, member) in enumerate(candidates[:counts.get(level, 0)], 1):
            batch = {"combined": "1", "per-class": level,
                     "batched": str((position - 1) % batches + 1)}[mode]
            picks.append(Pick(member.uscc, level, member.items, "random", batch, rank,
                              position, member.recent))
    return picks

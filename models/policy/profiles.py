"""Jurisdiction profiles: cut points, labels and colours for the four internal risk levels, and
the minimum spot-check draw ratios per level.

The score and the model are the same everywhere; a profile only decides where the class
boundaries lie (Henan 200/500/750, Ningxia 250/500/750) and what each class is called and
coloured (Hohhot labels the high-risk class A 红色). `profiles.yaml` ships the known ones.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.levels import LEVELS
from models.policy.common import (
    PolicyFileError,
    Text,
    describe_errors,
    parse_yaml,
    read_text,
)
from models.score_map import MAX_SCORE

PROFILES_FILE = Path(__file__).with_name("profiles.yaml")
DEFAULT_DRAW_RATIOS = (1.0, 3.0, 10.0, 20.0)
"""Minimum 双随机 draw ratios in percent for A–D (seeds 000 and 004): a profile without its own."""
SCORE_STEP = 0.01
"""Published scores have two decimals; a score moved below a cut point lands this far below."""


class LevelStyle(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str = Field(min_length=1)
    zh: str
    en: str
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    colour_name: str


class Profile(BaseModel):
    """One jurisdiction's presentation of the internal levels A–D (lowest risk first)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str = ""
    name: Text
    basis: str
    cut_points: tuple[float, float, float]
    levels: tuple[LevelStyle, LevelStyle, LevelStyle, LevelStyle]
    draw_ratios: tuple[float, float, float, float] = DEFAULT_DRAW_RATIOS
    """Minimum spot-check draw ratios in percent for the internal levels A–D."""

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        if not all(0 <= r <= 100 for r in self.draw_ratios):
            raise ValueError(f"draw ratios must be percentages from 0 to 100, found "
                             f"{list(self.draw_ratios)}")
        a, b, c = self.cut_points
        if not 0 < a < b < c < MAX_SCORE:
            raise ValueError(f"cut points must increase strictly within (0, {MAX_SCORE:g}), "
                             f"found {list(self.cut_points)}")
        labels = [level.label for level in self.levels]
        if len(set(labels)) != len(labels):
            raise ValueError(f"level labels must be distinct, found {labels}")
        return self

    def levels_of(self, scores: npt.ArrayLike) -> npt.NDArray[np.int8]:
        """Internal level index (0 = A … 3 = D) of each score under these cut points."""
        return np.searchsorted(np.asarray(self.cut_points), np.asarray(scores, np.float64),
                               side="right").astype(np.int8)

    def band(self, level: int) -> tuple[float, float]:
        """The lowest and highest publishable score of an internal level."""
        edges = (0.0, *self.cut_points)
        if level == len(edges) - 1:
            return edges[level], MAX_SCORE
        return edges[level], edges[level + 1] - SCORE_STEP

    def label(self, level: int) -> str:
        return self.levels[level].label

    def labels_of(self, levels: npt.ArrayLike) -> npt.NDArray[np.str_]:
        return np.asarray([style.label for style in self.levels])[np.asarray(levels)]

    def describe(self, level: int) -> str:
        style = self.levels[level]
        low, high = self.band(level)
        return (f"{style.label} {style.zh} / {style.en} ({style.colour_name}, "
                f"{low:g}–{high:g}, internal level {LEVELS[level]})")


class ProfileBook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    default: str
    profiles: dict[str, Profile]

    @model_validator(mode="after")
    def _default_exists(self) -> ProfileBook:
        if self.default not in self.profiles:
            raise ValueError(f"default profile {self.default!r} is not among "
                             f"{sorted(self.profiles)}")
        return self


def load_profiles(path: Path = PROFILES_FILE) -> ProfileBook:
    raw = parse_yaml(read_text(path), str(path))
    if not isinstance(raw, dict) or not isinstance(raw.get("profiles"), dict):
        raise PolicyFileError(f"{path}: expected a mapping with 'default' and 'profiles'")
    profiles = {}
    for key, entry in raw["profiles"].items():
        try:
            profiles[key] = Profile.model_validate({**(entry or {}), "key": key})
        except ValidationError as error:
            raise PolicyFileError(describe_errors(error, f"{path}: profile {key!r}")) from None
    try:
        return ProfileBook(default=raw.get("default", ""), profiles=profiles)
    except ValidationError as error:
        raise PolicyFileError(describe_errors(error, str(path))) from None


@cache
def shipped_profiles() -> ProfileBook:
    return load_profiles(PROFILES_FILE)


def profile(key: str | None = None, path: Path | None = None) -> Profile:
    """A profile by key (the file's default when None), from ``path`` or the shipped file."""
    book = load_profiles(path) if path else shipped_profiles()
    key = key or book.default
    if key not in book.profiles:
        raise PolicyFileError(f"unknown jurisdiction profile {key!r}: expected one of "
                              f"{', '.join(sorted(book.profiles))}")
    return book.profiles[key]

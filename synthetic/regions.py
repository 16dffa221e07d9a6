"""Henan's registration divisions with sampling weights, and department names by level."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from features.reference import divisions
from synthetic.params import (
    DEPARTMENT_LEVEL_SHARES,
    DEPARTMENTS,
    PREFECTURE_SELF_SHARE,
    PREFECTURE_WEIGHTS,
    PROVINCE,
    PROVINCE_NAME,
)

DEPT_CODES = tuple(code for code, _ in DEPARTMENTS)
DEPT_INDEX = {code: i for i, code in enumerate(DEPT_CODES)}
_LEVEL_NAMES = {  # department name by level (county, prefecture, province) where it differs
    "FY": ("人民法院", "中级人民法院", "高级人民法院"),
    "XF": ("消防救援大队", "消防救援支队", "消防救援总队"),
}


def _county_weight(code: str) -> float:
    """Districts (01-20) are busier than counties; development zones (7x) are small."""
    tail = int(code[4:])
    if tail <= 20:
        return 1.5
    if 70 <= tail < 80:
        return 0.6
    if tail >= 81:
        return 1.2
    return 1.0


@dataclass(frozen=True)
class Geography:
    """Region codes an enterprise can be registered in, and department labels."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    """Full name, e.g. 郑州市中原区 (county) or 郑州市 (prefecture)."""
    short_names: tuple[str, ...]
    """Short place name used in enterprise names, e.g. 郑州 or 中原."""
    prefecture_of: np.ndarray
    """Prefecture index of each region."""
    is_county: np.ndarray
    prefectures: tuple[str, ...]
    prefecture_names: tuple[str, ...]
    weights: np.ndarray
    """Probability of each region for a new enterprise."""

    @property
    def department_labels(self) -> pa.Array:
        """Department names indexed by ``location * len(DEPARTMENTS) + department``.

        Locations are the regions, then the prefectures, then the province.
        """
        labels: list[str] = []
        places = [(n, 0) for n in self.names] + [(n, 1) for n in self.prefecture_names]
        places.append((PROVINCE_NAME, 2))
        for place, level in places:
            for code, name in DEPARTMENTS:
                labels.append(place + _LEVEL_NAMES.get(code, (name, name, name))[level])
        return pa.array(labels, pa.string())

    def department_index(self, rng: np.random.Generator, region: np.ndarray,
                         dept: np.ndarray) -> np.ndarray:
        """Label index for records of enterprises in ``region`` from department codes ``dept``."""
        n = region.shape[0]
        level = rng.choice(3, size=n, p=np.asarray(DEPARTMENT_LEVEL_SHARES))
        level = np.where((level == 0) & ~self.is_county[region], 1, level)
        n_regions = len(self.codes)
        location = np.where(
            level == 0, region,
            np.where(level == 1, n_regions + self.prefecture_of[region],
                     n_regions + len(self.prefectures)),
        )
        return (location * len(DEPARTMENTS) + dept).astype(np.int32)


def henan() -> Geography:
    """Henan's prefectures with their counties, weighted by population."""
    prefectures = divisions.prefectures(PROVINCE)
    pref_codes = tuple(sorted(prefectures))
    codes: list[str] = []
    names: list[str] = []
    short: list[str] = []
    pref_of: list[int] = []
    county: list[bool] = []
    weights: list[float] = []
    for p, pref in enumerate(pref_codes):
        pref_name = prefectures[pref]
        subs = sorted(
            (c, n) for c, n in divisions.counties(pref).items() if divisions.is_division(c)
        )
        pref_weight = PREFECTURE_WEIGHTS[pref]
        self_share = PREFECTURE_SELF_SHARE if subs else 1.0
        codes.append(pref)
        names.append(pref_name)
        short.append(pref_name.removesuffix("市"))
        pref_of.append(p)
        county.append(False)
        weights.append(pref_weight * self_share)
        if subs:
            cw = np.array([_county_weight(c) for c, _ in subs])
            cw = cw / cw.sum() * pref_weight * (1 - self_share)
            for (code, name), w in zip(subs, cw, strict=True):
                codes.append(code)
                names.append(pref_name + name)
                stem = name[:-1] if len(name) > 2 and name[-1] in "区县市" else name
                short.append(stem.removesuffix("回族"))
                pref_of.append(p)
                county.append(True)
                weights.append(float(w))
    w = np.array(weights)
    return Geography(
        codes=tuple(codes),
        names=tuple(names),
        short_names=tuple(short),
        prefecture_of=np.array(pref_of, np.int32),
        is_county=np.array(county),
        prefectures=pref_codes,
        prefecture_names=tuple(prefectures[c] for c in pref_codes),
        weights=w / w.sum(),
    )

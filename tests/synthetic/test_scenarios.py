"""Every scenario is deterministic, passes the data contract, exports its hidden risk and
changes what its story says it changes."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from features.ingest import ingest
from features.store import Store
from synthetic import HIDDEN_FILE, generate
from synthetic.scenarios import SCENARIOS

ENTERPRISES, MONTHS = 1500, 24


def digest(folder: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(folder.glob("*.parquet")))
                          ).hexdigest()


@pytest.fixture(scope="module")
def provinces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("scenarios")
    for name in SCENARIOS:
        generate(root / name, enterprises=ENTERPRISES, months=MONTHS, seed=5, scenario=name)
    return {name: root / name for name in SCENARIOS}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_scenario_is_deterministic_and_passes_the_contract(
        name: str, provinces: dict[str, Path], tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(again, enterprises=ENTERPRISES, months=MONTHS, seed=5, scenario=name)
    assert digest(again) == digest(provinces[name])
    report = ingest([provinces[name]], Store(tmp_path / "store"), today=dt.date(2026, 11, 22))
    assert report.published
    assert all(c.rejected == 0 for c in report.tables.values())
    hidden = pq.read_table(provinces[name] / HIDDEN_FILE)
    assert hidden.num_rows == ENTERPRISES and hidden["hidden_risk"].null_count == 0


def test_the_scenarios_are_different_provinces(provinces: dict[str, Path]) -> None:
    assert len({digest(folder) for folder in provinces.values()}) == len(SCENARIOS)


def test_the_campaign_raises_detection_where_and_when_it_runs(provinces: dict[str, Path]
                                                               ) -> None:
    def penalty_share(name: str) -> float:
        enterprises = pq.read_table(provinces[name] / "enterprises.parquet",
                                    columns=["uscc", "region_code"])
        area = {u for u, r in zip(enterprises["uscc"].to_pylist(),
                                  enterprises["region_code"].to_pylist(), strict=True)
                if r[:4] + "00" in SCENARIOS["campaign"].campaign_prefectures}
        records = pq.read_table(provinces[name] / "records.parquet",
                                columns=["uscc", "record_type", "occurred_on"])
        penalties = records.filter(pc.equal(records["record_type"], "administrative_penalty"))
        days = penalties["occurred_on"].to_pylist()
        middle = [dt.date(2024, 9, 1) <= d < dt.date(2025, 5, 1) for d in days]
        inside = [u in area for u in penalties["uscc"].to_pylist()]
        return float(np.mean([i for i, m in zip(inside, middle, strict=True) if m]))

    assert penalty_share("campaign") > penalty_share("default") + 0.1


def test_unknown_scenario_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="found 'nope'"):
        generate(tmp_path, enterprises=10, months=2, seed=1, scenario="nope")

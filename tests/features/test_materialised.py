"""Materialised features: every enterprise's features at the data end, built once per store
version and shared through a file, give the rows of the few-enterprise path."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow.compute as pc
import pytest

from features.enterprise_features import EnterpriseFeatures, compiled
from features.materialised import MaterialisedFeatures, materialise, materialised_path
from features.store import Store
from tests.features.test_enterprise_features import assert_same_rows


@pytest.fixture(scope="module")
def store(synthetic_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A copy of the synthetic store, so that the file written here stays here."""
    copy = tmp_path_factory.mktemp("materialised") / "store"
    shutil.copytree(synthetic_store.root, copy)
    return Store(copy)


@pytest.fixture(scope="module")
def plain(store: Store) -> EnterpriseFeatures:
    return EnterpriseFeatures(store)


def test_lookups_at_the_data_end_equal_the_few_enterprise_path(
        store: Store, plain: EnterpriseFeatures) -> None:
    reader = EnterpriseFeatures(store, materialise=True)
    assert reader.wait_materialised(600), reader.materialise_error
    assert reader.materialised is not None
    assert reader.materialised.path == materialised_path(store.pinned(), reader.data_end)
    codes = reader.materialised.table["uscc"].to_pylist()
    wanted = [codes[0], codes[len(codes) // 2], codes[-1], "91410100MA0000000X", codes[0]]
    runs = reader.runs
    looked_up = reader.compute(wanted, reader.data_end)
    assert reader.runs == runs  # no DuckDB run
    computed = plain.compute(wanted, plain.data_end)
    assert looked_up.missing == computed.missing == ("91410100MA0000000X",)
    assert looked_up.table["uscc"].to_pylist() == sorted(set(wanted) - {"91410100MA0000000X"})
    assert_same_rows(computed.table, looked_up.table)
    assert looked_up.table.schema == compiled(reader.data_end).schema

    earlier = reader.data_end - dt.timedelta(days=31)  # another date: the DuckDB path
    assert reader.compute(wanted[:1], earlier).table.num_rows == 1
    assert reader.runs == runs + 1


def test_the_file_is_built_once_and_shared(store: Store, plain: EnterpriseFeatures) -> None:
    schema = compiled(plain.data_end).schema
    path = materialise(store, plain.data_end, schema)
    built = path.stat().st_mtime_ns
    assert materialise(store, plain.data_end, schema) == path
    assert path.stat().st_mtime_ns == built
    assert path.stat().st_mode & 0o077 == 0  # readable by the owner only
    second = MaterialisedFeatures(path)
    assert second.rows([]).num_rows == 0
    assert pc.all(pc.greater(second.table["uscc"][1:], second.table["uscc"][:-1])).as_py()


def test_a_failed_build_leaves_the_few_enterprise_path_serving(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr("features.enterprise_features.materialise", refuse)
    reader = EnterpriseFeatures(store, materialise=True)
    assert not reader.wait_materialised(60)
    assert reader.materialise_error == "OSError: disk full"
    few = reader.compute([reader._enterprises["uscc"][0].as_py()], reader.data_end)
    assert few.table.num_rows + len(few.missing) == 1

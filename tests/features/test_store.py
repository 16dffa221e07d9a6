"""The versioned store: atomic publish, crash safety, one writer at a time, pruning."""

from pathlib import Path

import pytest

from features.ingest import ingest
from features.store import KEEP_VERSIONS, Store
from tests.features.conftest import TODAY, VALID_ROWS, write_csv


def _records(path: Path, ids: list[str]) -> Path:
    return write_csv(path, [{**VALID_ROWS["records"], "record_id": i} for i in ids])


def test_a_crash_before_the_pointer_swap_leaves_the_published_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "store")
    ingest([_records(tmp_path / "records.csv", ["R1"])], store, today=TODAY)
    published = store.table_path("records").read_bytes()

    real_replace = __import__("os").replace

    def crash_at_pointer_swap(source, target):
        if Path(target).name == "CURRENT":
            raise KeyboardInterrupt("killed")
        real_replace(source, target)

    monkeypatch.setattr("features.store.os.replace", crash_at_pointer_swap)
    with pytest.raises(KeyboardInterrupt):
        ingest([_records(tmp_path / "records-2.csv", ["R2"])], store, today=TODAY)
    monkeypatch.undo()
    assert store.version == "v000001"
    assert store.table_path("records").read_bytes() == published
    report = ingest([_records(tmp_path / "records-2.csv", ["R2"])], store, today=TODAY)
    assert report.version == "v000002" and report.tables["records"].stored == 2
    assert not list(store.root.glob(".v*.tmp"))


def test_only_one_writer_at_a_time(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    with store.writing(), pytest.raises(RuntimeError, match="another ingest"):
        ingest([_records(tmp_path / "records.csv", ["R1"])], store, today=TODAY)


def test_old_versions_are_pruned_and_unchanged_tables_shared(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    for n in range(4):
        ingest([_records(tmp_path / f"records-{n}.csv", [f"R{n}"])], store, today=TODAY)
    versions = sorted(p.name for p in store.root.glob("v*"))
    assert len(versions) == KEEP_VERSIONS and versions[-1] == store.version == "v000004"
    manifest = store.manifest()
    assert manifest["tables"]["records"]["rows"] == 4
    assert len(manifest["ingests"]) == 4


def test_connect_exposes_published_tables(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    ingest([_records(tmp_path / "records.csv", ["R1", "R2"])], store, today=TODAY)
    with store.connect() as connection:
        assert connection.execute("SELECT count(*) FROM records").fetchone() == (2,)

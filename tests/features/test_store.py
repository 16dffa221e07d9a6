"""The versioned store: atomic publish, crash safety, one writer at a time, pruning."""

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecr_cli.main import app
from features.ingest import ingest
from features.store import KEEP_VERSIONS, Store, StoreError
from tests.features.conftest import TODAY, VALID_ROWS, write_csv
from tests.features.engineering.handmade import build_store


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


def _modes(root: Path) -> set[tuple[str, str]]:
    """(kind, octal mode) of the root and everything under it."""
    paths = [root, *root.rglob("*")]
    return {("dir" if p.is_dir() else "file", oct(p.stat().st_mode & 0o777)) for p in paths}


def test_the_store_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    bad = {**VALID_ROWS["records"], "record_id": "R9", "collected_on": "x"}
    path = write_csv(tmp_path / "records.csv", [VALID_ROWS["records"], bad])
    ingest([path], store, today=TODAY)  # rejects default to STORE/rejects/
    ingest([_records(tmp_path / "records-2.csv", ["R2"])], store, today=TODAY)
    assert list(store.root.glob("rejects/*.csv")) and store.version == "v000002"
    assert _modes(store.root) == {("dir", "0o700"), ("file", "0o600")}


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Path:
    """A directory this process cannot write in (a read-only system folder under root)."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    folder = Path("/sys/kernel")
    try:
        (folder / ".ecr-probe").open("w").close()
    except OSError:
        return folder
    pytest.skip("no read-only directory available to root")


def test_a_read_only_store_is_a_one_line_error(tmp_path: Path, read_only_dir: Path) -> None:
    path = _records(tmp_path / "records.csv", ["R1"])
    with pytest.raises(StoreError, match=f"{read_only_dir}: cannot write the store") as error:
        ingest([path], Store(read_only_dir), today=TODAY)
    assert "\n" not in str(error.value)
    result = CliRunner().invoke(app, ["ingest", str(path), "--store", str(read_only_dir)])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert result.output.startswith(f"error: {read_only_dir}: cannot write the store")


def test_features_out_that_cannot_be_written_is_a_one_line_error(tmp_path: Path) -> None:
    store = build_store(tmp_path / "data")
    (tmp_path / "a-file").write_text("x")
    for out in (tmp_path, tmp_path / "a-file" / "features.parquet"):
        result = CliRunner().invoke(app, ["features", "--as-of", "2024-06-30", "--out", str(out),
                                          "--store", str(store.root)])
        assert result.exit_code == 2, result.output
        assert result.output.startswith(f"error: {out}: cannot write") and (
            result.output.count("\n") == 1)

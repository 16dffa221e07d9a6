"""Incremental ingest: files in force are skipped without being read, a changed file is read
alone, unchanged tables are reused, and the store ends as a full re-read would leave it."""

import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import features.ingest as ingest_module
from ecr_cli.main import app
from features.ingest import ingest, trusted_hash
from features.readers import Reader
from features.store import Store
from tests.features.conftest import TODAY, USCC_A, USCC_B, VALID_ROWS, write_csv


def _enterprise(uscc: str, **changes: str) -> dict[str, str]:
    return {**VALID_ROWS["enterprises"], "uscc": uscc, **changes}


def _record(record_id: str, **changes: str) -> dict[str, str]:
    return {**VALID_ROWS["records"], "record_id": record_id, **changes}


def _stored(store: Store, table: str) -> list[tuple]:
    path = store.table_path(table)
    if path is None:
        return []
    frame = pl.read_parquet(path)
    return sorted(frame.rows(), key=repr)


@pytest.fixture
def province(tmp_path: Path) -> Path:
    folder = tmp_path / "province"
    folder.mkdir()
    write_csv(folder / "enterprises.csv", [_enterprise(USCC_A), _enterprise(USCC_B)])
    write_csv(folder / "records-2024-06.csv", [_record("R1"), _record("R2")])
    write_csv(folder / "records-2024-07.csv", [_record("R3"), _record("R4", collected_on="x")])
    write_csv(folder / "relations.csv", [VALID_ROWS["relations"]])
    return folder


@pytest.fixture
def no_reading(monkeypatch: pytest.MonkeyPatch):
    """Make reading a file's rows (or columns) fail; returns the paths that were read."""
    read: list[Path] = []
    real_batches, real_columns = Reader.batches, Reader.columns

    def batches(self):
        read.append(self.path)
        return real_batches(self)

    def columns(self):
        read.append(self.path)
        return real_columns(self)

    monkeypatch.setattr(Reader, "batches", batches)
    monkeypatch.setattr(Reader, "columns", columns)
    return read


def test_an_unchanged_reingest_skips_every_file_and_publishes_nothing(
    tmp_path: Path, province: Path, no_reading: list[Path]
) -> None:
    store = Store(tmp_path / "store")
    first = ingest([province], store, today=TODAY)
    version, manifest = store.version, (store.root / first.version / "manifest.json").read_bytes()
    no_reading.clear()
    again = ingest([province], store, today=TODAY, rejects_path=tmp_path / "rejects.csv")
    assert no_reading == []  # not a row, not even a header, was read
    assert all(f.skipped and f.recorded_in == version for f in again.files)
    assert not again.published and store.version == version
    assert (store.root / version / "manifest.json").read_bytes() == manifest
    assert again.rejects_path is None and not (tmp_path / "rejects.csv").exists()
    records = again.tables["records"]
    assert (records.rows, records.rejected, records.inserted, records.unchanged) == (0, 0, 0, 0)
    assert (records.skipped_files, records.skipped_rows, records.stored) == (2, 4, 3)
    # a skipped file reports the counts recorded when it was read
    assert [(f.rows, f.accepted, f.rejected) for f in again.files] == [
        (f.rows, f.accepted, f.rejected) for f in first.files]
    assert again.orphans == first.orphans


def test_a_changed_file_is_read_alone_and_other_tables_are_reused(
    tmp_path: Path, province: Path, no_reading: list[Path]
) -> None:
    store = Store(tmp_path / "store")
    first = ingest([province], store, today=TODAY)
    before = {t: store.table_path(t) for t in ("enterprises", "records", "relations")}
    before_bytes = {t: p.read_bytes() for t, p in before.items()}
    changed = write_csv(province / "records-2024-07.csv",
                        [_record("R3", removed_on="2025-03-01"), _record("R5")])
    no_reading.clear()
    report = ingest([province], store, today=TODAY)
    assert set(no_reading) == {changed}
    assert {f.path.name: f.skipped for f in report.files} == {
        "enterprises.csv": True, "records-2024-06.csv": True, "records-2024-07.csv": False,
        "relations.csv": True}
    records = report.tables["records"]
    assert (records.rows, records.inserted, records.updated, records.unchanged) == (2, 1, 1, 0)
    assert (records.skipped_files, records.skipped_rows, records.stored) == (1, 2, 4)
    assert report.published and report.version != first.version
    for table in ("enterprises", "relations"):  # not rewritten: the same file, linked
        now = store.table_path(table)
        assert now.read_bytes() == before_bytes[table]
        assert os.stat(now).st_ino == os.stat(before[table]).st_ino
    assert store.table_path("records").read_bytes() != before_bytes["records"]


def test_full_reads_and_validates_every_file(tmp_path: Path, province: Path) -> None:
    store = Store(tmp_path / "store")
    first = ingest([province], store, today=TODAY)
    again = ingest([province], store, today=TODAY, full=True)
    assert not any(f.skipped for f in again.files)
    assert not again.published and again.version == first.version
    assert again.tables["records"].unchanged == 3 and again.tables["records"].rejected == 1
    assert again.rejects.height == first.rejects.height == 1
    wide = {"COLUMNS": "300"}
    result = CliRunner().invoke(app, ["ingest", str(province), "--store", str(store.root),
                                      "--full"], env=wide)
    assert result.exit_code == 0, result.output
    assert "skipped" not in result.output.split("Tables")[0]
    result = CliRunner().invoke(app, ["ingest", str(province), "--store", str(store.root)],
                                env=wide)
    assert result.exit_code == 0, result.output
    assert result.output.count("skipped: unchanged since v000001") == 4


def test_a_duplicate_of_a_skipped_files_key_is_rejected_as_before(
    tmp_path: Path, province: Path
) -> None:
    incremental, full = Store(tmp_path / "incremental"), Store(tmp_path / "full")
    for store in (incremental, full):
        ingest([province], store, today=TODAY)
    # R1 is stored from records-2024-06.csv, which is skipped; the changed later file repeats it
    write_csv(province / "records-2024-07.csv", [_record("R1", removed_on=""), _record("R6")])
    report = ingest([province], incremental, today=TODAY)
    baseline = ingest([province], full, today=TODAY, full=True)
    first = province / "records-2024-06.csv"
    assert [f.skipped for f in report.files if f.path == first] == [True]
    [duplicate] = report.rejects.filter(pl.col("field") == "record_id").to_dicts()
    assert duplicate["found"] == f"R1 (same key as {first} row 1)"
    assert duplicate["row"] == 1
    assert report.rejects.to_dicts() == baseline.rejects.to_dicts()
    assert _stored(incremental, "records") == _stored(full, "records")
    counts = report.tables["records"]
    assert (counts.rows, counts.rejected, counts.inserted) == (2, 1, 1)


def test_a_skipped_file_after_a_changed_one_sharing_a_key_is_read_again(
    tmp_path: Path, province: Path
) -> None:
    incremental, full = Store(tmp_path / "incremental"), Store(tmp_path / "full")
    for store in (incremental, full):
        ingest([province], store, today=TODAY)
    # a new file sorted before records-2024-06.csv now has R2: it comes first, so the skipped
    # file's R2 would be the duplicate: that file must be read to say so
    write_csv(province / "records-2024-01.csv", [_record("R2", removed_on="")])
    report = ingest([province], incremental, today=TODAY)
    baseline = ingest([province], full, today=TODAY, full=True)
    read_again = next(f for f in report.files if f.path.name == "records-2024-06.csv")
    assert not read_again.skipped and "read again" in read_again.note
    read = [str(f.path) for f in report.files if not f.skipped]
    assert report.rejects.to_dicts() == baseline.rejects.filter(
        pl.col("file").is_in(read)).to_dicts()
    assert _stored(incremental, "records") == _stored(full, "records")
    assert report.tables["records"].updated == baseline.tables["records"].updated == 1


@pytest.mark.parametrize("winner", ["removed", "emptied"])
def test_a_skipped_file_whose_duplicate_is_first_now_is_read_again(
    tmp_path: Path, winner: str
) -> None:
    """records-b.csv's R1 lost to records-a.csv's when both were read; once records-a.csv is
    gone (or holds no row) the skipped records-b.csv's R1 is first, as a full re-read says."""
    first = write_csv(tmp_path / "records-a.csv", [_record("R1", removed_on="")])
    later = write_csv(tmp_path / "records-b.csv", [_record("R1", removed_on="2025-01-02")])
    incremental, full = Store(tmp_path / "incremental"), Store(tmp_path / "full")
    for store in (incremental, full):
        assert ingest([first, later], store, today=TODAY).files[1].rejected == 1
    if winner == "removed":
        first.unlink()
        inputs = [later]
    else:
        first.write_text(",".join(VALID_ROWS["records"]) + "\n", encoding="utf-8")
        inputs = [first, later]
    report = ingest(inputs, incremental, today=TODAY)
    baseline = ingest(inputs, full, today=TODAY, full=True)
    read_again = next(f for f in report.files if f.path == later)
    assert not read_again.skipped and "read again" in read_again.note
    assert (read_again.accepted, read_again.rejected) == (1, 0)
    assert report.published and baseline.published
    assert _stored(incremental, "records") == _stored(full, "records")
    stored = pl.read_parquet(incremental.table_path("records"))
    assert [str(d) for d in stored.get_column("removed_on")] == ["2025-01-02"]
    assert ingest(inputs, incremental, today=TODAY).files[-1].skipped  # and it stands now


def test_a_source_recorded_before_lost_keys_were_noted_is_checked_in_its_key_file(
    tmp_path: Path
) -> None:
    first = write_csv(tmp_path / "records-a.csv", [_record("R1", removed_on="")])
    later = write_csv(tmp_path / "records-b.csv", [_record("R1", removed_on="2025-01-02")])
    store = Store(tmp_path / "store")
    ingest([first, later], store, today=TODAY)
    manifest = store.manifest()
    for source in manifest["sources"]["records"]:  # as an earlier version recorded them
        assert source.pop("lost_keys") == (source["path"] == str(later))
    sources = {s["path"]: s for s in manifest["sources"]["records"]}
    assert not ingest_module._lost_keys(sources[str(first)], store)
    assert ingest_module._lost_keys(sources[str(later)], store)
    # an ingest that publishes notes what it checked in the sources it keeps
    (store.root / store.version / "manifest.json").write_text(json.dumps(manifest))
    ingest([first, later, write_csv(tmp_path / "records-c.csv", [_record("R7")])], store,
           today=TODAY)
    noted = {s["path"]: s.get("lost_keys") for s in store.manifest()["sources"]["records"]}
    assert noted == {str(first): False, str(later): True,
                     str(tmp_path / "records-c.csv"): False}


def test_a_later_export_in_a_changed_file_replaces_a_row_while_other_files_are_skipped(
    tmp_path: Path, province: Path
) -> None:
    store = Store(tmp_path / "store")
    ingest([province], store, today=TODAY)
    write_csv(province / "records-2024-06.csv",
              [_record("R1", removed_on="2025-03-01"), _record("R2")])
    report = ingest([province], store, today=TODAY)
    assert {f.path.name for f in report.files if not f.skipped} == {"records-2024-06.csv"}
    counts = report.tables["records"]
    assert (counts.updated, counts.unchanged, counts.skipped_rows) == (1, 1, 2)
    stored = pl.read_parquet(store.table_path("records")).filter(pl.col("record_id") == "R1")
    assert str(stored.get_column("removed_on")[0]) == "2025-03-01"


def test_a_file_whose_rows_were_replaced_since_is_read_again(tmp_path: Path) -> None:
    old = write_csv(tmp_path / "records-old.csv", [_record("R1", removed_on="")])
    later = write_csv(tmp_path / "records-later.csv", [_record("R1", removed_on="2025-03-01")])
    store = Store(tmp_path / "store")
    ingest([old], store, today=TODAY)
    ingest([later], store, today=TODAY)  # replaces R1: records-old.csv is no longer in force
    report = ingest([old], store, today=TODAY)
    assert not report.files[0].skipped and report.tables["records"].updated == 1
    stored = pl.read_parquet(store.table_path("records"))
    assert stored.get_column("removed_on").to_list() == [None]


def test_a_file_changed_back_to_earlier_content_is_read(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    store = Store(tmp_path / "store")
    for removed_on in ("", "2025-03-01", ""):
        write_csv(path, [_record("R1", removed_on=removed_on)])
        report = ingest([path], store, today=TODAY)
        assert not report.files[0].skipped and report.published
    stored = pl.read_parquet(store.table_path("records"))
    assert stored.get_column("removed_on").to_list() == [None]


def test_a_reject_that_depends_on_the_day_is_reconsidered_another_day(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "records.csv", [
        _record("R1"), _record("R2", occurred_on="2026-12-01", collected_on="2026-12-02",
                               removed_on="")])
    store = Store(tmp_path / "store")
    assert ingest([path], store, today=TODAY).tables["records"].rejected == 1
    assert ingest([path], store, today=TODAY).files[0].skipped
    later = ingest([path], store, today=dt.date(2026, 12, 5))
    assert not later.files[0].skipped
    assert later.tables["records"].inserted == 1 and later.tables["records"].rejected == 0
    # read on a day when nothing depended on the day: skipped on any day after
    assert ingest([path], store, today=dt.date(2027, 1, 1)).files[0].skipped


def test_another_contract_reads_every_file_again(
    tmp_path: Path, province: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "store")
    ingest([province], store, today=TODAY)
    monkeypatch.setattr(ingest_module, "contract_fingerprint", lambda: "another contract")
    report = ingest([province], store, today=TODAY)
    assert not any(f.skipped for f in report.files)


def test_the_same_content_twice_in_one_ingest_is_skipped_once(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "records.csv", [_record("R1")])
    store = Store(tmp_path / "store")
    ingest([path], store, today=TODAY)
    copy = tmp_path / "records-copy.csv"
    shutil.copy(path, copy)
    report = ingest([path, copy], store, today=TODAY)
    assert [f.skipped for f in report.files] == [True, False]
    [duplicate] = report.rejects.to_dicts()
    assert duplicate["found"] == f"R1 (same key as {path} row 1)"


# --------------------------------------------------------------------------- the stat shortcut


def _stat(size=10, mtime=100, ctime=100, ino=1, dev=2) -> os.stat_result:
    return os.stat_result((0o100600, ino, dev, 1, 0, 0, size, 0, 0, 0, 0.0, 0.0, 0.0,
                           0, mtime, ctime))


def test_the_stat_vouches_for_the_hash_only_when_identical_and_old_enough() -> None:
    margin = ingest_module.STAT_MARGIN_NS
    recorded = {"sha256": "h", "stat": {"stat": [10, 100, 100, 1, 2],
                                        "hashed_ns": 100 + margin + 1}}
    assert trusted_hash(recorded, _stat()) == "h"
    for changed in ({"size": 11}, {"mtime": 99}, {"ctime": 101}, {"ino": 3}, {"dev": 4}):
        assert trusted_hash(recorded, _stat(**changed)) is None, changed
    racy = {"sha256": "h", "stat": {"stat": [10, 100, 100, 1, 2], "hashed_ns": 100 + margin}}
    assert trusted_hash(racy, _stat()) is None  # written within the margin of its hash
    assert trusted_hash(None, _stat()) is None


def test_the_shortcut_skips_hashing_and_still_sees_a_same_size_same_mtime_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "STAT_MARGIN_NS", 0)
    hashed: list[Path] = []
    real = ingest_module.file_sha256

    def counting(path: Path) -> str:
        hashed.append(Path(path))
        return real(path)

    monkeypatch.setattr(ingest_module, "file_sha256", counting)
    path = write_csv(tmp_path / "records.csv", [_record("R1", removed_on="2025-01-02")])
    time.sleep(0.05)  # older than its hash, past the timestamp tick
    store = Store(tmp_path / "store")
    ingest([path], store, today=TODAY)
    assert path in hashed
    hashed.clear()
    assert ingest([path], store, today=TODAY).files[0].skipped
    assert path not in hashed  # the recorded stat vouched for the recorded hash
    # an edit of the same size, its mtime put back: ctime moved, so the file is hashed again
    stat = path.stat()
    path.write_bytes(path.read_bytes().replace(b"2025-01-02", b"2025-01-03"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    report = ingest([path], store, today=TODAY)
    assert path in hashed and not report.files[0].skipped
    assert report.tables["records"].updated == 1


# ------------------------------------------------------------ incremental equals a full re-read

ROW = st.fixed_dictionaries({
    "record_id": st.sampled_from(["R1", "R2", "R3", "R4"]),
    "removed_on": st.sampled_from(["", "2025-01-02", "2025-03-01"]),
    "occurred_on": st.sampled_from(["2024-07-01", "2024-07-02"]),  # an identity column
    "collected_on": st.sampled_from(["2024-07-05", "2024-07-05", "x"]),  # x: rejected
})
FILE = st.one_of(st.none(), st.just("keep"), st.lists(ROW, max_size=4))
"""None: remove the file; keep: leave it as it is; rows: write it anew."""
STEP = st.fixed_dictionaries({name: FILE for name in ("records-a.csv", "records-b.csv",
                                                      "records-c.csv")})


def _write(path: Path, rows: list[dict]) -> None:
    if rows:
        write_csv(path, [_record(**r) for r in rows])
    else:
        path.write_text(",".join(VALID_ROWS["records"]) + "\n", encoding="utf-8")


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=4))
def test_incremental_ingest_stores_what_a_full_reread_stores(
    tmp_path_factory: pytest.TempPathFactory, steps: list[dict]
) -> None:
    root = tmp_path_factory.mktemp("history")
    folder = root / "in"
    folder.mkdir()
    incremental, full = Store(root / "incremental"), Store(root / "full")
    for step in steps:
        for name, content in step.items():
            if content is None:
                (folder / name).unlink(missing_ok=True)
            elif content != "keep":
                _write(folder / name, content)
        inputs = sorted(folder.iterdir())
        if not inputs:
            continue
        report = ingest(inputs, incremental, today=TODAY)
        baseline = ingest(inputs, full, today=TODAY, full=True)
        assert report.published == baseline.published
        assert incremental.version == full.version
        assert _stored(incremental, "records") == _stored(full, "records")
        for counts in report.files:  # every file read reports what the full re-read reports
            if not counts.skipped:
                same = next(b for b in baseline.files if b.path == counts.path)
                assert (counts.rows, counts.accepted, counts.rejected) == (
                    same.rows, same.accepted, same.rejected)
        read = {str(f.path) for f in report.files if not f.skipped}
        assert report.rejects.to_dicts() == baseline.rejects.filter(
            pl.col("file").is_in(read)).to_dicts()

"""Ingest: counts reconcile, rejects are written, re-ingest is idempotent, fatal input stops."""

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ecr_cli.main import app
from features.ingest import ingest
from features.readers import InputError
from features.store import Store, StoreBusy, StoreError
from tests.features.conftest import TODAY, USCC_A, USCC_B, VALID_ROWS, write_csv


def _enterprise(uscc: str, **changes: str) -> dict[str, str]:
    return {**VALID_ROWS["enterprises"], "uscc": uscc, **changes}


def _record(record_id: str, **changes: str) -> dict[str, str]:
    return {**VALID_ROWS["records"], "record_id": record_id, **changes}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store")


def test_counts_reconcile_and_rejects_name_file_row_field(tmp_path: Path, store: Store) -> None:
    enterprises = write_csv(tmp_path / "enterprises.csv", [
        _enterprise(USCC_A), _enterprise(USCC_B),
        _enterprise("91350200776049653B"),  # bad check character
        _enterprise(USCC_B),  # duplicate key
    ])
    records = write_csv(tmp_path / "records-2024.csv", [
        _record("R1"), _record("R2", collected_on="2024-06-01"), _record("R3"),
    ])
    report = ingest([enterprises, records], store, rejects_path=tmp_path / "rej.csv",
                    today=TODAY)
    e, r = report.tables["enterprises"], report.tables["records"]
    assert (e.rows, e.accepted, e.rejected, e.inserted, e.stored) == (4, 2, 2, 2, 2)
    assert (r.rows, r.accepted, r.rejected, r.inserted, r.stored) == (3, 2, 1, 2, 2)
    for f in report.files:
        assert f.rows == f.accepted + f.rejected
    rejects = pl.read_csv(tmp_path / "rej.csv").to_dicts()
    assert {(Path(x["file"]).name, x["row"], x["field"]) for x in rejects} == {
        ("enterprises.csv", 3, "uscc"),
        ("enterprises.csv", 4, "uscc"),
        ("records-2024.csv", 2, "collected_on"),
    }
    duplicate = next(x for x in rejects if x["row"] == 4)
    assert duplicate["found"] == f"{USCC_B} (same key as {enterprises} row 2)"
    assert report.published and report.version == "v000001"


def test_reingest_is_idempotent(tmp_path: Path, store: Store) -> None:
    path = write_csv(tmp_path / "records.csv", [_record("R1"), _record("R2")])
    first = ingest([path], store, rejects_path=tmp_path / "rej.csv", today=TODAY)
    stored = store.table_path("records").read_bytes()
    second = ingest([path], store, rejects_path=tmp_path / "rej.csv", today=TODAY)
    assert not second.published and second.version == first.version == store.version
    assert [f.skipped for f in second.files] == [True]
    assert (second.tables["records"].skipped_files, second.tables["records"].skipped_rows) == (1, 2)
    third = ingest([path], store, rejects_path=tmp_path / "rej.csv", today=TODAY, full=True)
    assert not third.published and third.version == first.version
    assert third.tables["records"].unchanged == 2
    assert third.tables["records"].inserted == third.tables["records"].updated == 0
    assert store.table_path("records").read_bytes() == stored


def test_a_later_export_of_a_record_replaces_it(tmp_path: Path, store: Store) -> None:
    ingest([write_csv(tmp_path / "records.csv", [_record("R1", removed_on="")])], store,
           today=TODAY)
    later = write_csv(tmp_path / "records-later.csv",
                       [_record("R1", removed_on="2025-03-01"), _record("R9")])
    report = ingest([later], store, today=TODAY)
    counts = report.tables["records"]
    assert (counts.inserted, counts.updated, counts.unchanged, counts.stored) == (1, 1, 0, 2)
    stored = pl.read_parquet(store.table_path("records")).filter(pl.col("record_id") == "R1")
    assert str(stored.get_column("removed_on")[0]) == "2025-03-01"
    assert report.version == "v000002"


def test_formats_csv_jsonl_parquet_agree(tmp_path: Path) -> None:
    rows = [_record("R1"), _record("R2", amount="12.5", severity="2",
                                   record_type="administrative_penalty", removed_on="")]
    csv_path = write_csv(tmp_path / "records.csv", rows)
    jsonl_path = tmp_path / "records.jsonl"
    jsonl_path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    parquet_path = tmp_path / "records.parquet"
    pl.DataFrame(rows).write_parquet(parquet_path)
    stored = []
    for path in (csv_path, jsonl_path, parquet_path):
        store = Store(tmp_path / f"store-{path.suffix[1:]}")
        report = ingest([path], store, today=TODAY)
        assert report.tables["records"].inserted == 2
        stored.append(pl.read_parquet(store.table_path("records")))
    assert stored[0].equals(stored[1]) and stored[0].equals(stored[2])


def test_malformed_csv_row_is_rejected_and_row_numbers_stay_right(tmp_path: Path,
                                                                 store: Store) -> None:
    path = write_csv(tmp_path / "records.csv", [_record("R1"), _record("R2"), _record("R3")])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] += ",surplus"  # data row 2 has one field too many
    lines[3] = lines[3].replace("2024-07-05", "2024-06-01")  # data row 3: bad collected_on
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest([path], store, rejects_path=tmp_path / "rej.csv", today=TODAY)
    assert (report.files[0].rows, report.files[0].accepted, report.files[0].rejected) == (3, 1, 2)
    rejects = pl.read_csv(tmp_path / "rej.csv")
    assert rejects.select("row", "field").rows() == [(2, "(whole row)"), (3, "collected_on")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("enterprises.csv", "uscc,name\n91350200776049653A,x\n",
         "missing column(s) region_code, industry_code"),
        ("records.csv", b"record_id,uscc\n" + "中文".encode("gbk"), "not UTF-8"),
        ("records.parquet", b"PAR1 this is not parquet", "cannot read"),
        ("budget.csv", "a,b\n1,2\n", "cannot tell which table it feeds"),
        ("records.xlsx", "x", "unsupported file type '.xlsx'"),
    ],
)
def test_fatal_input_raises_one_line_and_publishes_nothing(
    tmp_path: Path, store: Store, name: str, content: str | bytes, message: str
) -> None:
    good = write_csv(tmp_path / "inspections.csv", [VALID_ROWS["inspections"]])
    bad = tmp_path / name
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError) as error:
        ingest([good, bad], store, today=TODAY)
    text = str(error.value)
    assert message in text and str(bad) in text and "\n" not in text
    assert store.version is None


def test_cli_fatal_input_exits_nonzero_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "records.csv"
    bad.write_bytes(b"record_id,uscc\n" + "统一".encode("gbk") + b"\n")
    result = subprocess.run(
        [sys.executable, "-m", "ecr_cli", "ingest", str(bad), "--store", str(tmp_path / "s")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {bad}: ")
    assert not (tmp_path / "s" / "CURRENT").exists()


def test_directory_input_skips_private_files(tmp_path: Path, store: Store) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write_csv(folder / "records.csv", [_record("R1")])
    (folder / "_hidden_risk.csv").write_text("uscc,risk\nx,1\n")
    report = ingest([folder], store, today=TODAY)
    assert [f.path.name for f in report.files] == ["records.csv"]
    assert report.orphans == {}


def test_orphans_are_counted_not_dropped(tmp_path: Path, store: Store) -> None:
    enterprises = write_csv(tmp_path / "enterprises.csv", [_enterprise(USCC_A)])
    records = write_csv(tmp_path / "records.csv", [_record("R1"), _record("R2", uscc=USCC_B)])
    report = ingest([enterprises, records], store, today=TODAY)
    assert report.orphans["records"] == 1
    assert report.tables["records"].stored == 2


def test_synthetic_province_passes_the_contract(tmp_path: Path) -> None:
    from synthetic import generate

    summary = generate(tmp_path / "clean", enterprises=1500, months=12, seed=5)
    report = ingest([tmp_path / "clean"], Store(tmp_path / "s1"), today=TODAY)
    for name, counts in report.tables.items():
        assert counts.rows == summary.rows[name]
        assert counts.rejected == 0, name
        assert counts.stored == summary.rows[name]


def test_every_dirty_synthetic_row_is_rejected(tmp_path: Path) -> None:
    from synthetic import generate

    summary = generate(tmp_path / "dirty", enterprises=1500, months=12, seed=5, dirty=0.05,
                       fmt="csv")
    report = ingest([tmp_path / "dirty"], Store(tmp_path / "s2"),
                    rejects_path=tmp_path / "rejects.csv", today=TODAY)
    for name, counts in report.tables.items():
        assert counts.rows == summary.rows[name]
        assert counts.rejected == summary.dirty_rows[name] > 0, name
        assert counts.accepted + counts.rejected == counts.rows
    rejects = pl.read_csv(tmp_path / "rejects.csv", infer_schema=False)
    assert {"uscc", "a key not seen earlier in this ingest"} & set(
        rejects.get_column("field").to_list() + rejects.get_column("expected").to_list()
    )


def test_a_stored_record_id_under_another_identity_is_rejected_not_moved(
    tmp_path: Path, store: Store
) -> None:
    ingest([write_csv(tmp_path / "records.csv", [_record("R1"), _record("R2")])], store,
           today=TODAY)
    stored = store.table_path("records").read_bytes()
    other = write_csv(tmp_path / "records-other.csv", [
        _record("R1", uscc=USCC_B),  # the same id now names another enterprise's record
        _record("R2", record_type="spot_check", outcome="problem_found", removed_on="",
                occurred_on="2024-07-02"),
    ])
    report = ingest([other], store, rejects_path=tmp_path / "rej.csv", today=TODAY)
    counts = report.tables["records"]
    assert (counts.rejected, counts.inserted, counts.updated, counts.unchanged) == (2, 0, 0, 0)
    assert not report.published and store.table_path("records").read_bytes() == stored
    rejects = pl.read_csv(tmp_path / "rej.csv", infer_schema=False).to_dicts()
    assert {(x["row"], x["field"], x["found"]) for x in rejects} == {
        ("1", "uscc", USCC_B), ("2", "record_type", "spot_check"),
        ("2", "occurred_on", "2024-07-02"),
    }
    moved = next(x for x in rejects if x["field"] == "uscc")
    assert USCC_A in moved["expected"] and "record_id R1" in moved["expected"]


def test_the_same_file_named_twice_is_ingested_once(tmp_path: Path, store: Store) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    path = write_csv(folder / "records.csv", [_record("R1"), _record("R2")])
    for inputs in ([path, path], [folder, path], [folder, tmp_path / "export" / ".." / "export"]):
        report = ingest(inputs, Store(tmp_path / f"store-{len(list(tmp_path.iterdir()))}"),
                        today=TODAY)
        assert [f.path for f in report.files] == [path]
        counts = report.tables["records"]
        assert (counts.rows, counts.inserted, counts.rejected) == (2, 2, 0)


def test_rejects_may_not_overwrite_an_input(tmp_path: Path, store: Store) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    path = write_csv(folder / "records.csv", [_record("R1"), _record("R2", collected_on="x")])
    before = path.read_bytes()
    with pytest.raises(InputError, match="is an input of this ingest") as error:
        ingest([folder], store, rejects_path=folder / "." / "records.csv", today=TODAY)
    assert "\n" not in str(error.value)
    assert path.read_bytes() == before and store.version is None


def test_rejects_may_not_overwrite_the_store(tmp_path: Path, store: Store) -> None:
    path = write_csv(tmp_path / "records.csv", [_record("R1"), _record("R2", collected_on="x")])
    ingest([path], store, today=TODAY)
    pointer = (store.root / "CURRENT").read_bytes()
    for target in (store.root / "CURRENT", store.root / "v000001" / "records.parquet"):
        with pytest.raises(InputError, match="is inside the store"):
            ingest([path], store, rejects_path=target, today=TODAY)
    assert (store.root / "CURRENT").read_bytes() == pointer and store.version == "v000001"
    report = ingest([path], store, rejects_path=store.root / "rejects" / "mine.csv", today=TODAY,
                    full=True)  # read again: a skipped file's rejects are not listed again
    assert report.rejects_path == store.root / "rejects" / "mine.csv"


def test_unwritable_rejects_fail_before_anything_is_published(
    tmp_path: Path, store: Store
) -> None:
    path = write_csv(tmp_path / "records.csv", [_record("R1"), _record("R2", collected_on="x")])
    (tmp_path / "folder").mkdir()
    (tmp_path / "plain-file").write_text("x")
    for target in (tmp_path / "folder", tmp_path / "plain-file" / "rejects.csv"):
        with pytest.raises(StoreError, match=str(target)) as error:
            ingest([path], store, rejects_path=target, today=TODAY)
        assert "\n" not in str(error.value)
        assert store.version is None and not list(store.root.glob("v*"))


def test_formula_cells_are_neutralised_in_the_rejects_file(tmp_path: Path, store: Store) -> None:
    cells = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-3", "@SUM(A1)", "\tx", "\rx"]
    path = write_csv(tmp_path / "records.csv",
                     [_record(f"R{i}", record_type=cell) for i, cell in enumerate(cells)])
    ingest([path], store, rejects_path=tmp_path / "rej.csv", today=TODAY)
    found = pl.read_csv(tmp_path / "rej.csv", infer_schema=False).sort("row").get_column("found")
    assert found.to_list() == ["'" + cell for cell in cells]


INJECTED = "x'; COPY (SELECT 42 AS pwned) TO 'pwned.csv'; SELECT '"


@pytest.mark.parametrize("name", ["o'brien", INJECTED])
def test_a_quote_in_the_store_path_is_data_not_sql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    store = Store(tmp_path / name)
    for n, ids in enumerate((["R1"], ["R1", "R2"])):  # the second merges with a stored table
        report = ingest([write_csv(tmp_path / f"records-{n}.csv", [_record(i) for i in ids])],
                        store, today=TODAY)
        assert report.published and report.tables["records"].stored == len(ids)
    with store.connect() as connection:
        assert connection.execute("SELECT count(*) FROM records").fetchone() == (2,)
    assert not list(tmp_path.rglob("pwned*"))


def test_cli_prints_markup_like_paths_and_columns_verbatim(tmp_path: Path) -> None:
    folder = tmp_path / "x[" / "]"
    folder.mkdir(parents=True)
    path = write_csv(folder / "records.csv", [{**_record("R1"), "[/]": "1", "[bold]b": "2"}])
    result = CliRunner().invoke(app, ["ingest", str(path), "--store", str(tmp_path / "s[/]")],
                                terminal_width=400)
    assert result.exit_code == 0, result.output
    assert "[/], [bold]b" in result.output and "store published at version v000001" in (
        result.output)


def test_cli_environment_faults_are_one_line_errors(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "records.csv", [_record("R1"), _record("R2", collected_on="x")])
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "folder").mkdir()
    cases = {
        "store names a file": ["--store", str(tmp_path / "a-file")],
        "rejects name a folder": ["--store", str(tmp_path / "s"),
                                  "--rejects", str(tmp_path / "folder")],
        "rejects name an input": ["--store", str(tmp_path / "s"), "--rejects", str(path)],
    }
    for case, options in cases.items():
        result = CliRunner().invoke(app, ["ingest", str(path), *options])
        assert result.exit_code == 2, (case, result.output)
        assert result.output.startswith("error: ") and result.output.count("\n") == 1, case
        assert not (tmp_path / "s" / "CURRENT").exists(), case


def test_all_or_nothing_publishes_nothing_when_a_row_is_rejected(
        tmp_path: Path, store: Store) -> None:
    ingest([write_csv(tmp_path / "records.csv", [_record("R1")])], store, today=TODAY)
    before = (store.version, store.table_path("records").read_bytes())
    batch = write_csv(tmp_path / "records-batch.csv",
                      [_record("R2"), _record("R3", collected_on="2024-06-01")])
    report = ingest([batch], store, rejects_path=tmp_path / "rej.csv", today=TODAY,
                    publish="all_or_nothing")
    assert not report.published and report.version == before[0]
    assert (store.version, store.table_path("records").read_bytes()) == before
    counts = report.tables["records"]
    assert (counts.rows, counts.accepted, counts.rejected) == (2, 1, 1)
    assert report.rejects.select("row", "field").rows() == [(2, "collected_on")]
    clean = write_csv(tmp_path / "records-clean.csv", [_record("R2")])
    assert ingest([clean], store, today=TODAY, publish="all_or_nothing").version == "v000002"


def test_a_dry_run_counts_and_publishes_nothing(tmp_path: Path, store: Store) -> None:
    path = write_csv(tmp_path / "records.csv", [_record("R1"), _record("R2")])
    report = ingest([path], store, today=TODAY, publish="nothing")
    assert not report.published and report.version is None and store.version is None
    assert report.tables["records"].inserted == 2 and report.rejects.height == 0
    with pytest.raises(ValueError, match="publish: expected accepted, all_or_nothing or "
                                         "nothing, found 'some'"):
        ingest([path], store, today=TODAY, publish="some")  # type: ignore[arg-type]


def test_a_second_writer_is_told_the_store_is_busy(tmp_path: Path, store: Store) -> None:
    path = write_csv(tmp_path / "records.csv", [_record("R1")])
    with store.writing(), pytest.raises(StoreBusy, match="another ingest is writing"):
        ingest([path], store, today=TODAY)
    assert issubclass(StoreBusy, StoreError) and store.version is None


def test_a_store_and_files_older_than_the_licence_type_column_still_ingest(
        tmp_path: Path, store: Store) -> None:
    """A store written before ``records.licence_type`` existed (its file lacks the column)
    takes new files with it and old files without it; the old rows read as untyped."""
    old = {k: v for k, v in _record("R1", record_type="licence", outcome="granted",
                                    removed_on="").items() if k != "licence_type"}
    ingest([write_csv(tmp_path / "records-old.csv", [old])], store, today=TODAY)
    path = store.table_path("records")
    pq.write_table(pq.read_table(path).drop(["licence_type"]), path)  # as an old store has it
    assert "licence_type" not in pq.read_schema(path).names
    with store.connect() as connection:
        assert connection.execute("SELECT licence_type FROM records").fetchall() == [(None,)]

    typed = write_csv(tmp_path / "records-new.csv", [
        _record("R2", record_type="licence", outcome="granted", removed_on="",
                licence_type="food_business"),
        _record("R3", record_type="licence", outcome="renewed", removed_on="")])
    report = ingest([typed, write_csv(tmp_path / "records-again.csv", [old])], store,
                    rejects_path=tmp_path / "rejects.csv", today=TODAY,
                    full=True)  # records-again.csv is records-old.csv: read it all the same
    counts = report.tables["records"]
    assert (counts.inserted, counts.unchanged, counts.rejected) == (1, 1, 1)
    [reject] = pl.read_csv(tmp_path / "rejects.csv").to_dicts()
    assert (Path(reject["file"]).name, reject["row"], reject["field"]) == (
        "records-new.csv", 2, "licence_type")
    assert reject["expected"] == "a licence type for licence records"
    assert reject["found"] == " (record_type=licence)"
    stored = pl.read_parquet(store.table_path("records")).sort("record_id")
    assert stored.select("record_id", "licence_type").rows() == [
        ("R1", None), ("R2", "food_business")]

"""Reading input files: every format read against the contract, bad lines rejected as rows."""

import gzip
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from features.ingest import ingest
from features.store import Store
from tests.features.conftest import TODAY, VALID_ROWS, write_csv


def _record(record_id: str, **changes: str) -> dict[str, str]:
    return {**VALID_ROWS["records"], "record_id": record_id, **changes}


def _write_jsonl(path: Path, lines: list[str | dict], *, bom: bool = False) -> Path:
    text = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)
                     for x in lines) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _ingest(tmp_path: Path, *paths: Path):
    rejects = tmp_path / "rejects.csv"
    report = ingest(list(paths), Store(tmp_path / "store"), rejects_path=rejects, today=TODAY)
    found = pl.read_csv(rejects, infer_schema=False) if rejects.exists() else None
    return report, found


def _stored(tmp_path: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(Store(tmp_path / "store").table_path(table))


def test_jsonl_is_read_with_the_contract_types_not_inferred(tmp_path: Path) -> None:
    # the first 1,000 lines have no amount: a reader inferring types from them breaks on 1,001
    rows = [{**_record(f"R{i}"), "amount": None} for i in range(1000)]
    rows.append({**_record("R1000"), "record_type": "administrative_penalty", "amount": 12.5,
                 "severity": 2, "removed_on": None})
    report, rejects = _ingest(tmp_path, _write_jsonl(tmp_path / "records.jsonl", rows))
    assert rejects is None and report.tables["records"].inserted == 1001
    last = _stored(tmp_path, "records").filter(pl.col("record_id") == "R1000").row(0, named=True)
    assert (last["amount"], last["severity"]) == (12.5, 2)


def test_jsonl_with_bom_and_null_keys_left_out_is_read(tmp_path: Path) -> None:
    lean = {k: v for k, v in _record("R2").items() if v != ""}  # no null keys at all
    path = _write_jsonl(tmp_path / "records.jsonl", [_record("R1"), lean], bom=True)
    report, rejects = _ingest(tmp_path, path)
    assert rejects is None and report.tables["records"].inserted == 2


def test_malformed_jsonl_lines_are_rejected_with_their_line_numbers(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "records.jsonl", [
        _record("R1"),
        '{"record_id": "R2", "uscc": ',
        "[1, 2]",
        "",
        _record("R5", collected_on="2024-06-01"),
        _record("R6"),
    ])
    report, rejects = _ingest(tmp_path, path)
    assert (report.files[0].rows, report.files[0].accepted, report.files[0].rejected) == (5, 2, 3)
    assert rejects.select("row", "field").rows() == [
        ("2", "(whole row)"), ("3", "(whole row)"), ("5", "collected_on")
    ]
    assert rejects.get_column("expected")[1] == "a JSON object"
    assert rejects.get_column("found")[0].endswith('{"record_id": "R2", "uscc":')


def test_blank_lines_do_not_shift_csv_row_numbers(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "records.csv", [_record("R1"), _record("R2"), _record("R3")])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("2024-07-05", "2024-06-01")  # data row 3 (line 4) is bad
    lines[2:2] = ["", "   "]  # two blank lines before data row 2: R2 is row 4, R3 row 5
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    report, rejects = _ingest(tmp_path, path)
    assert (report.files[0].rows, report.files[0].accepted) == (3, 2)
    assert rejects.select("row", "field").rows() == [("5", "collected_on")]


def test_a_quoted_cell_spanning_lines_is_one_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "records.csv", [
        _record("R1", details="line one\nline two"), _record("R2", collected_on="2024-06-01"),
    ])
    _, rejects = _ingest(tmp_path, path)
    assert rejects.select("row", "field").rows() == [("2", "collected_on")]
    assert _stored(tmp_path, "records").get_column("details").to_list() == [
        "line one\nline two"
    ]


def _enterprises_file(tmp_path: Path, fmt: str, tags: list) -> Path:
    rows = [{**VALID_ROWS["enterprises"], "uscc": u} for u in
            ("91350200776049653A", "91350500798359476R")]
    if fmt == "parquet":
        path = tmp_path / "enterprises.parquet"
        pl.DataFrame(rows).with_columns(domain_tags=pl.Series(tags)).write_parquet(path)
        return path
    if fmt == "csv":
        return write_csv(tmp_path / "enterprises.csv",
                         [{**r, "domain_tags": t} for r, t in zip(rows, tags, strict=True)])
    return _write_jsonl(tmp_path / "enterprises.jsonl",
                        [{**r, "domain_tags": t} for r, t in zip(rows, tags, strict=True)])


@pytest.mark.parametrize(
    ("fmt", "tags", "found"),
    [
        ("csv", ["food;drug", "[food"], "[food"),
        ("jsonl", [["food", "drug"], "[food"], "[food"),
        ("jsonl", [["food", "drug"], ["food", 7]], '["food", 7]'),
        ("parquet", [[1, 2], None], "[1, 2]"),
    ],
)
def test_an_unparsable_list_rejects_its_row_not_the_file(
    tmp_path: Path, fmt: str, tags: list, found: str
) -> None:
    report, rejects = _ingest(tmp_path, _enterprises_file(tmp_path, fmt, tags))
    assert (report.files[0].accepted, report.files[0].rejected) == (1, 1)
    bad = 1 if fmt == "parquet" else 2
    assert rejects.select("row", "field", "found").rows() == [(str(bad), "domain_tags", found)]
    assert "a list" in rejects.get_column("expected")[0]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_optional_columns_may_be_absent(tmp_path: Path, fmt: str) -> None:
    records = [{k: v for k, v in _record(f"R{i}").items() if k != "details"} for i in (1, 2)]
    enterprise = {k: v for k, v in VALID_ROWS["enterprises"].items() if k != "domain_tags"}
    paths = []
    for name, rows in (("records", records), ("enterprises", [enterprise])):
        path = tmp_path / f"{name}.{fmt}"
        if fmt == "csv":
            write_csv(path, rows)
        elif fmt == "jsonl":
            _write_jsonl(path, rows)
        else:
            pl.DataFrame(rows).write_parquet(path)
        paths.append(path)
    report, rejects = _ingest(tmp_path, *paths)
    assert rejects is None
    assert report.tables["records"].inserted == 2 and report.tables["enterprises"].inserted == 1
    assert _stored(tmp_path, "records").get_column("details").null_count() == 2
    assert _stored(tmp_path, "enterprises").get_column("domain_tags").null_count() == 1


def test_compressed_csv_and_jsonl_are_read(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    plain = write_csv(tmp_path / "plain.csv", [_record("R1"), _record("R2")])
    (folder / "records.csv.gz").write_bytes(gzip.compress(plain.read_bytes()))
    jsonl = _write_jsonl(tmp_path / "plain.jsonl", [_record("R3")])
    (folder / "records-more.jsonl.gz").write_bytes(gzip.compress(jsonl.read_bytes()))
    report, rejects = _ingest(tmp_path, folder)
    assert rejects is None and report.skipped == []
    assert report.tables["records"].inserted == 3


def test_a_directory_names_every_file_it_skips(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write_csv(folder / "records.csv", [_record("R1")])
    write_csv(folder / "inspections.txt", [VALID_ROWS["inspections"]])
    (folder / "2024-06").mkdir()
    (folder / "enterprises.csv").symlink_to(tmp_path / "gone.csv")
    (folder / "_hidden_risk.csv").write_text("uscc,risk\nx,1\n")
    report, _ = _ingest(tmp_path, folder)
    assert [f.path.name for f in report.files] == ["records.csv"]
    reasons = {s.path.name: s.reason for s in report.skipped}
    assert set(reasons) == {"inspections.txt", "2024-06", "enterprises.csv", "_hidden_risk.csv"}
    assert "unsupported file type '.txt'" in reasons["inspections.txt"]
    assert "directory" in reasons["2024-06"]
    assert "broken symbolic link" in reasons["enterprises.csv"]
    result = subprocess.run(
        [sys.executable, "-m", "ecr_cli", "ingest", str(folder), "--store", str(tmp_path / "s")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    for name in reasons:
        assert f"skipped {folder / name}: " in " ".join(result.stdout.split())


def test_deeply_nested_json_is_rejected_as_a_row(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    path = _write_jsonl(tmp_path / "enterprises.jsonl", [
        {**VALID_ROWS["enterprises"], "domain_tags": deep}, deep, VALID_ROWS["enterprises"],
    ])
    report, rejects = _ingest(tmp_path, path)
    assert (report.files[0].accepted, report.files[0].rejected) == (1, 2)
    assert rejects.select("row", "field").rows() == [("1", "domain_tags"), ("2", "(whole row)")]

"""The inspectors' roster is ingested like every table: per-row rejects naming the file, row,
field, expected and found; accepted rows published; the same file again changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from features.ingest import ingest
from features.store import Store

HEADER = ("inspector_id,unit,unit_region,department,qualifications,conflict_enterprises,"
          "conflict_persons,unit_conflicts\n")
ROWS = HEADER + """INS-1,郑州市中原区市场监督管理局,410102,SCJG,GEN-01;FOOD-01,,P-17,
INS-2,郑州市中原区市场监督管理局,410102,SCJG,GEN-01,92411329L8W19YPA4P,,
INS-3,郑州市中原区市场监督管理局,419999,SCJG,GEN-01,,,
INS-4,郑州市药品监督管理局,410100,yjj,DRUG-01,,,
INS-5,郑州市药品监督管理局,410100,YJJ,,,,
INS-6,郑州市药品监督管理局,410100,YJJ,DRUG-01,NOT-A-CODE,,
INS-1,郑州市中原区市场监督管理局,410102,SCJG,GEN-02,,,
"""


def test_roster_rows_are_validated_and_rejected_row_by_row(tmp_path: Path) -> None:
    source = tmp_path / "inspectors.csv"
    source.write_text(ROWS, encoding="utf-8")
    store = Store(tmp_path / "store")
    report = ingest([source], store, rejects_path=tmp_path / "rejects.csv",
                    today=dt.date(2026, 1, 5))
    counts = report.tables["inspectors"]
    assert (counts.rows, counts.rejected, counts.inserted) == (7, 5, 2)
    rejects = {(r["row"], r["field"]): r for r in report.rejects.iter_rows(named=True)}
    assert rejects[3, "unit_region"]["found"] == "419999"
    assert rejects[4, "department"]["expected"].startswith("a department code")
    assert rejects[5, "qualifications"]["found"] == ""
    assert rejects[6, "conflict_enterprises"]["found"] == "NOT-A-CODE"
    assert "same key as" in rejects[7, "inspector_id"]["found"]
    assert all(r["file"] == str(source) for r in rejects.values())
    stored = pl.read_parquet(store.table_path("inspectors")).sort("inspector_id")
    assert stored["inspector_id"].to_list() == ["INS-1", "INS-2"]
    assert stored["qualifications"].to_list() == [["GEN-01", "FOOD-01"], ["GEN-01"]]
    assert stored["conflict_persons"].to_list()[0] == ["P-17"]
    again = ingest([source], store, today=dt.date(2026, 1, 5),
                   rejects_path=tmp_path / "rejects-2.csv")
    assert not again.published

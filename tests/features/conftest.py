"""Hand-made valid rows for each table, as raw text cells (what a CSV gives)."""

import csv
import datetime as dt
from pathlib import Path

import pytest

TODAY = dt.date(2026, 11, 22)
USCC_A = "91350200776049653A"
USCC_B = "91350500798359476R"

VALID_ROWS: dict[str, dict[str, str]] = {
    "enterprises": {
        "uscc": USCC_A, "name": "河南甲商贸有限公司", "region_code": "410102",
        "industry_code": "F52", "enterprise_type": "limited_liability",
        "registered_capital": "100", "established_on": "2015-03-01", "status": "operating",
        "deregistered_on": "", "domain_tags": "food;drug",
    },
    "records": {
        "record_id": "R1", "uscc": USCC_A, "record_type": "abnormal_operation",
        "occurred_on": "2024-07-01", "collected_on": "2024-07-05", "department": "郑州市市场监管局",
        "severity": "", "amount": "", "outcome": "", "domain": "", "removed_on": "2025-01-02",
        "repaired_on": "", "revoked_on": "", "details": '{"reason": "未按时公示年报"}',
        "licence_type": "",
    },
    "relations": {
        "uscc": USCC_A, "role": "shareholder", "party_kind": "enterprise", "party_id": USCC_B,
        "share": "0.4", "started_on": "2015-03-01", "ended_on": "",
    },
    "inspections": {
        "draw_id": "D2024-07-01", "uscc": USCC_A, "inspected_on": "2024-07-10",
        "items": "food_safety;licence_display", "result": "problem_found",
        "department": "郑州市市场监管局",
        "inspector_ids": "INS-410102-SCJG-001;INS-410102-SCJG-007",
    },
}


@pytest.fixture
def valid_rows() -> dict[str, dict[str, str]]:
    return {name: dict(row) for name, row in VALID_ROWS.items()}


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write rows (all with the same keys) as a UTF-8 CSV file with a header."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path

"""A hand-made province whose features at 2024-06-30 are computed by hand in the tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from features.ingest import ingest
from features.reference.uscc import compose
from features.store import Store
from tests.features.conftest import write_csv

AS_OF = dt.date(2024, 6, 30)
TODAY = dt.date(2026, 11, 22)
E1, E2, E3, E4, E5, E6 = compose(
    "9", "1", "410102", np.array([f"HAND000{i}" for i in range(1, 7)])
).tolist()

_ENTERPRISE = {
    "name": "河南手工样例有限公司", "region_code": "410102", "industry_code": "F52",
    "enterprise_type": "limited_liability", "registered_capital": "100",
    "established_on": "2020-01-01", "status": "operating", "deregistered_on": "",
    "domain_tags": "",
}


def enterprises() -> list[dict[str, str]]:
    return [
        {**_ENTERPRISE, "uscc": E1, "domain_tags": "food"},
        {**_ENTERPRISE, "uscc": E2, "industry_code": "H62", "region_code": "419001"},
        {**_ENTERPRISE, "uscc": E3},
        {**_ENTERPRISE, "uscc": E4, "industry_code": "L72"},
        {**_ENTERPRISE, "uscc": E5, "established_on": "2024-08-01"},  # born after as-of
        {**_ENTERPRISE, "uscc": E6, "status": "deregistered", "deregistered_on": "2024-03-01"},
    ]


def record(record_id: str, uscc: str, record_type: str, occurred: str, collected: str,
           **extra: str) -> dict[str, str]:
    row = {
        "record_id": record_id, "uscc": uscc, "record_type": record_type,
        "occurred_on": occurred, "collected_on": collected, "department": "市场监管局",
        "severity": "", "amount": "", "outcome": "", "domain": "", "removed_on": "",
        "repaired_on": "", "revoked_on": "", "details": "",
    }
    return {**row, **extra}


def records() -> list[dict[str, str]]:
    return [
        # E1 penalties: P1 in every window; P2 repaired, 36m only; P3 collected after the
        # as-of date; P4 revoked before it.
        record("P1", E1, "administrative_penalty", "2024-05-01", "2024-05-08", amount="1000",
               severity="3"),
        record("P2", E1, "administrative_penalty", "2023-01-10", "2023-01-12", amount="500",
               severity="1", repaired_on="2023-08-01"),
        record("P3", E1, "administrative_penalty", "2024-06-20", "2024-07-15", amount="9"),
        record("P4", E1, "administrative_penalty", "2024-02-01", "2024-02-03",
               revoked_on="2024-04-01"),
        # E1 abnormal-operation list: A1 removed before, A2 removed after the as-of date.
        record("A1", E1, "abnormal_operation", "2023-07-03", "2023-07-04",
               removed_on="2024-01-15"),
        record("A2", E1, "abnormal_operation", "2024-03-01", "2024-03-04",
               removed_on="2024-09-01"),
        record("S1", E1, "spot_check", "2024-04-10", "2024-04-11", outcome="problem_found"),
        record("S2", E1, "spot_check", "2022-01-05", "2022-01-06", outcome="no_problem"),
        record("C1", E1, "complaint", "2024-06-01", "2024-06-03", outcome="substantiated"),
        # C2: Friday 2023-12-01 → Friday 2024-01-05 = 25 working days, collected late.
        record("C2", E1, "complaint", "2023-12-01", "2024-01-05", outcome="unsubstantiated"),
        record("G1", E1, "registration_change", "2024-01-10", "2024-01-11",
               outcome="legal_representative"),
        record("Y1", E1, "annual_report", "2024-04-01", "2024-04-01", outcome="on_time"),
        record("Y2", E1, "annual_report", "2023-05-01", "2023-05-02", outcome="late"),
        record("D1", E1, "domain_risk_grade", "2023-06-01", "2023-06-02", outcome="B",
               domain="food"),
        record("D2", E1, "domain_risk_grade", "2024-05-01", "2024-05-02", outcome="C",
               domain="food"),
        record("K1", E1, "credit_commitment", "2024-02-01", "2024-02-01", outcome="kept"),
        # Related enterprises: E2 listed now, E3 penalised in the last 12 months,
        # E4 (an enterprise shareholder of E1) on the serious-dishonesty list.
        record("X2", E2, "abnormal_operation", "2024-01-01", "2024-01-02"),
        record("X3", E3, "administrative_penalty", "2023-09-01", "2023-09-02"),
        record("X4", E4, "serious_dishonesty", "2022-05-05", "2022-05-06"),
    ]


def relation(uscc: str, role: str, party: str, started: str = "2020-01-01", ended: str = "",
             kind: str = "person") -> dict[str, str]:
    return {"uscc": uscc, "role": role, "party_kind": kind, "party_id": party, "share": "",
            "started_on": started, "ended_on": ended}


def relations() -> list[dict[str, str]]:
    return [
        relation(E1, "legal_representative", "PA"),
        relation(E1, "shareholder", "PA"),  # same person twice in E1: one link
        relation(E2, "shareholder", "PA"),
        relation(E2, "legal_representative", "PC"),
        relation(E1, "shareholder", "PB"),
        relation(E3, "shareholder", "PB"),
        relation(E6, "legal_representative", "PB"),
        relation(E1, "executive", "PD", ended="2023-12-31"),  # ended before
        relation(E1, "shareholder", "PE", started="2024-08-01"),  # starts after
        relation(E1, "shareholder", E4, kind="enterprise"),
    ]


def inspections() -> list[dict[str, str]]:
    return [
        {"draw_id": "D-2024-04", "uscc": E1, "inspected_on": "2024-04-10", "items": "food",
         "result": "problem_found", "department": "市场监管局"},
        {"draw_id": "D-2021-01", "uscc": E1, "inspected_on": "2021-01-05", "items": "food",
         "result": "no_problem", "department": "市场监管局"},
    ]



def build_store(folder: Path, extra_records: list[dict[str, str]] | None = None,
                extra_relations: list[dict[str, str]] | None = None) -> Store:
    """Ingest the hand-made province (plus extras) into a store under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    files = [
        write_csv(folder / "enterprises.csv", enterprises()),
        write_csv(folder / "records.csv", records() + (extra_records or [])),
        write_csv(folder / "relations.csv", relations() + (extra_relations or [])),
        write_csv(folder / "inspections.csv", inspections()),
    ]
    store = Store(folder / "store")
    report = ingest(files, store, today=TODAY)
    assert all(c.rejected == 0 for c in report.tables.values()), report
    return store

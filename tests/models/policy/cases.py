"""Hand-made enterprises: a clean, established, untagged enterprise unless told otherwise."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from features.catalog import CATALOG, Unit

AS_OF = dt.date(2025, 12, 31)
CLEAN: dict[str, Any] = {
    "age_years": 6.0, "registered_capital": 100.0, "enterprise_type": "limited",
    "industry_section": "I", "industry_division": "I65", "prefecture": "410100",
    "domain_risk_grade": None, "days_since_annual_report": 200.0,
    "days_since_penalty": None, "days_since_spot_check_problem": None,
    "spot_check_problem_rate_36m": None,
}


def enterprises(*overrides: dict[str, Any], as_of: dt.date = AS_OF) -> pa.Table:
    """One row per override mapping, every catalog feature present."""
    rows = [{**{f.name: (0.0 if f.unit in (Unit.COUNT, Unit.YUAN, Unit.FLAG, Unit.SHARE)
                         else None) for f in CATALOG}, **CLEAN, **o} for o in overrides]
    columns = {"uscc": [f"E{i:03d}" for i in range(len(rows))], "as_of": [as_of] * len(rows)}
    for feature in CATALOG:
        kind = pa.string() if feature.is_categorical else pa.float64()
        columns[feature.name] = pa.array([r[feature.name] for r in rows], kind)
    return pa.table(columns)

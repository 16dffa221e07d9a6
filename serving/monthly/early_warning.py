"""Early warning (监测预警): who needs attention since the last run, and what to do.

Triggers, each with a severity; an enterprise's severity is its highest trigger's, and the
suggested action follows from it — 1 提醒 remind, 2 警示 warn, 3 约谈 interview,
4 检查 inspect:

    class worsened by one level (to B)                 1
    class worsened into C                              2
    class worsened by two levels or more               3
    class worsened into D                              4
    new abnormal-operation listing                     1
    new administrative penalty                         2
    new serious penalty (severity 3)                   3
    spot check found problems / enterprise not found   3
    product-quality sample failed                      3
    new serious-dishonesty listing                     4
    new dishonest-judgement-debtor entry               4

"New" means collected in (since, until]: between the previous run and this one.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pyarrow as pa

from features.store import Store
from models.levels import LEVEL_INDEX
from serving.results.rows import StoredWarning

ACTIONS = {1: ("提醒", "remind"), 2: ("警示", "warn"), 3: ("约谈", "interview"),
           4: ("检查", "inspect")}

RECORD_TRIGGERS = """
    CASE
      WHEN record_type = 'serious_dishonesty' THEN 'serious_dishonesty_listing'
      WHEN record_type = 'dishonest_debtor' THEN 'dishonest_debtor_entry'
      WHEN record_type = 'administrative_penalty' AND severity >= 3 THEN 'serious_penalty'
      WHEN record_type = 'administrative_penalty' THEN 'penalty'
      WHEN record_type = 'spot_check' AND outcome IN ('problem_found', 'not_located')
        THEN 'failed_spot_check'
      WHEN record_type = 'product_quality_sampling' AND outcome = 'fail'
        THEN 'failed_quality_sample'
      WHEN record_type = 'abnormal_operation' THEN 'abnormal_listing'
    END
"""
TRIGGER_SEVERITY = {"abnormal_listing": 1, "penalty": 2, "serious_penalty": 3,
                    "failed_spot_check": 3, "failed_quality_sample": 3,
                    "serious_dishonesty_listing": 4, "dishonest_debtor_entry": 4}


def record_triggers(store: Store, since: dt.date, until: dt.date) -> dict[str, list[str]]:
    """Every enterprise with a record collected in (since, until], mapped to the monitored
    triggers among those records that are not revoked by ``until`` (often none)."""
    path = store.table_path("records")
    if path is None:
        return {}
    with duckdb.connect() as connection:  # not the default connection: threads share it
        rows = connection.execute(f"""
        SELECT uscc, list(DISTINCT trigger ORDER BY trigger)
                       FILTER (WHERE trigger IS NOT NULL) AS triggers FROM (
          SELECT uscc, CASE WHEN revoked_on IS NULL OR revoked_on > $until
                            THEN {RECORD_TRIGGERS} END AS trigger
          FROM read_parquet($path)
          WHERE collected_on > $since AND collected_on <= $until)
        GROUP BY uscc""", {"path": str(path), "since": since, "until": until}).fetchall()
    return {uscc: list(triggers or []) for uscc, triggers in rows}


def level_triggers(previous: str | None, current: str) -> list[tuple[str, int]]:
    """The class-change triggers for one enterprise (none when it is new or not worse)."""
    if previous is None or LEVEL_INDEX[current] <= LEVEL_INDEX[previous]:
        return []
    jump = LEVEL_INDEX[current] - LEVEL_INDEX[previous]
    severity = {"B": 1, "C": 2, "D": 4}[current]
    if jump >= 2:
        severity = max(severity, 3)
    return [(f"class_{previous}_to_{current}", severity)]


def build_warnings(
    current: pa.Table, previous: pa.Table | None, records: dict[str, list[str]],
    period: dt.date,
) -> list[StoredWarning]:
    """Warnings for the enterprises of ``current`` (uscc, risk_level), given the previous
    run's levels (uscc, risk_level) and the record triggers since then, most severe first."""
    before = ({} if previous is None or previous.num_rows == 0 else
              dict(zip(previous["uscc"].to_pylist(), previous["risk_level"].to_pylist(),
                       strict=True)))
    warnings = []
    for uscc, level in zip(current["uscc"].to_pylist(), current["risk_level"].to_pylist(),
                           strict=True):
        found = level_triggers(before.get(uscc), level)
        found += [(t, TRIGGER_SEVERITY[t]) for t in records.get(uscc, [])]
        if found:
            severity = max(s for _, s in found)
            zh, en = ACTIONS[severity]
            warnings.append(StoredWarning(uscc, period, severity, zh, en,
                                          tuple(t for t, _ in found), before.get(uscc), level))
    warnings.sort(key=lambda w: (-w.severity, w.uscc))
    return warnings


def severity_counts(warnings: list[StoredWarning]) -> dict[str, int]:
    counts = np.bincount([w.severity for w in warnings], minlength=5)
    return {ACTIONS[s][1]: int(counts[s]) for s in ACTIONS}

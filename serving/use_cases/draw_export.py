"""A draw as a table: the internal export (targets with class, items and inspectors) and the
publication (一公开: task, targets and results as they may be made public, never the class).

Rows are written as CSV (UTF-8 with a byte-order mark, so spreadsheets read the Chinese) or
XLSX, by the file's extension; cells a spreadsheet would evaluate (= + - @ …) are prefixed with
``'`` (OWASP CSV injection).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from features.ingest import FORMULA_START
from features.store import Store
from serving.results.store import ResultsStore
from serving.sampling.catalogue import Catalogue
from serving.use_cases.draw_population import query
from serving.use_cases.draws import read_draw
from serving.use_cases.errors import InvalidRequest
from serving.use_cases.sampling_effect import PENDING, results_of
from serving.use_cases.scope import WHOLE_PROVINCE, Scope

EXPORT_COLUMNS = ("draw_id", "task", "batch", "part", "reason", "uscc", "risk_level",
                  "region_code", "position", "rank_sha256", "items", "inspectors", "units",
                  "departments")
PUBLICATION_COLUMNS = ("抽查任务 task", "抽查事项 items", "企业名称 name",
                       "统一社会信用代码 uscc", "检查结果 result")
RESULT_NAMES = {"no_problem": "未发现问题", "problem_found": "发现问题", "not_located":
                "未发现开展经营活动 / 通过登记的住所无法联系", PENDING: "检查中"}


def export_rows(results: ResultsStore, draw_id: str,
                scope: Scope = WHOLE_PROVINCE) -> list[dict[str, object]]:
    """The draw's targets, one row each (internal: the class is shown)."""
    view = read_draw(results, draw_id, scope, with_exclusions=False)
    return [{"draw_id": view.draw_id, "task": view.draw.task, "batch": t.batch,
             "part": t.part, "reason": t.reason or "", "uscc": t.uscc,
             "risk_level": t.risk_level, "region_code": t.region_code,
             "position": t.position, "rank_sha256": t.rank_sha256, "items": ";".join(t.items),
             "inspectors": ";".join(a.inspector_id for a in t.inspectors),
             "units": ";".join(a.unit for a in t.inspectors),
             "departments": ";".join(sorted({a.department for a in t.inspectors}))}
            for t in view.targets]


def publication_rows(results: ResultsStore, store: Store, catalogue: Catalogue, draw_id: str,
                     scope: Scope = WHOLE_PROVINCE) -> list[dict[str, object]]:
    """What may be made public (一公开): the task, each target's name, code, items and result;
    never the risk class, the ranking or the inspectors' conflicts."""
    view = read_draw(results, draw_id, scope, with_exclusions=False)
    task = view.record["task_name"]["zh"]
    path = store.pinned().table_path("enterprises")
    names = dict(query("SELECT uscc, name FROM read_parquet($path) WHERE list_contains($c, uscc)",
                        {"path": str(path), "c": [t.uscc for t in view.targets]})) if path else {}
    posted = results_of(store, [draw_id])
    known = {i.code: i.name for i in catalogue.items}
    return [{"抽查任务 task": task,
             "抽查事项 items": "；".join(known.get(i, i) for i in t.items),
             "企业名称 name": names.get(t.uscc, ""), "统一社会信用代码 uscc": t.uscc,
             "检查结果 result": RESULT_NAMES[posted.get((draw_id, t.uscc), PENDING)]}
            for t in sorted(view.targets, key=lambda t: t.uscc)]


def _safe(value: object) -> object:
    import re

    if isinstance(value, str) and re.match(FORMULA_START, value):
        return "'" + value
    return value


def write_rows(rows: Sequence[dict[str, object]], columns: Sequence[str], path: Path) -> Path:
    """Write ``rows`` to ``path``: ``.csv`` or ``.xlsx``; `InvalidRequest` for another
    extension."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InvalidRequest(f"out: expected a .csv or .xlsx file, found {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(columns))
            writer.writeheader()
            writer.writerows({k: _safe(v) for k, v in row.items()} for row in rows)
        return path
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(columns))
    for row in rows:
        sheet.append([_safe(row[c]) for c in columns])
    book.save(path)
    return path

"""The data contract: the five input tables, their columns, types and meaning.

This module is the single source of truth for the table layout; `validation` enforces it and
`ecr contract` renders it as docs/data-contract.md.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

import pyarrow as pa

from features.reference.licences import LICENCE_RECORD_TYPES
from features.reference.record_types import DOMAINS, RECORD_TYPES, SEVERITIES


class Kind(StrEnum):
    """Logical column types; each maps to one Arrow type in the store."""

    TEXT = "text"
    DATE = "date"
    DECIMAL = "decimal"
    INTEGER = "integer"
    TEXT_LIST = "text list"


ARROW_TYPES: dict[Kind, pa.DataType] = {
    Kind.TEXT: pa.string(),
    Kind.DATE: pa.date32(),
    Kind.DECIMAL: pa.float64(),
    Kind.INTEGER: pa.int16(),
    Kind.TEXT_LIST: pa.list_(pa.string()),
}
LIST_SEPARATOR = ";"
"""How a text list is written in CSV cells: ``food;drug``."""
MAX_AMOUNT_CNY = 10**13
"""The largest plausible amount, 10 万亿元 (10 trillion CNY): above any fine, debt, pledge or
registered capital on record, and far enough below float overflow that sums stay finite."""
MAX_REGISTERED_CAPITAL = MAX_AMOUNT_CNY // 10_000
"""The same bound in 万元 (10,000 CNY), the unit of registered capital."""


class Column(NamedTuple):
    name: str
    kind: Kind
    required: bool
    """A value is required in every row, so the column must be in every file; an optional
    column may be left out of a file (all its values are then missing)."""
    description: str
    maximum: float | None = None
    """Largest accepted value of a number column (smallest: 0)."""


class Table(NamedTuple):
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    """Natural key: one stored row per key; re-ingesting a key replaces or keeps the row."""
    identity: tuple[str, ...] = ()
    """Columns a stored key keeps forever: a later row changing one of them is rejected."""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, ARROW_TYPES[c.kind], nullable=not c.required) for c in self.columns]
        )


ENTERPRISE_TYPES = (
    "limited_liability",  # 有限责任公司
    "joint_stock",  # 股份有限公司
    "sole_proprietorship",  # 个人独资企业
    "partnership",  # 合伙企业
    "branch",  # 分支机构
    "foreign_invested",  # 外商投资企业
    "farmers_cooperative",  # 农民专业合作社
    "individual_business",  # 个体工商户
    "other",
)
ENTERPRISE_STATUSES = ("operating", "revoked", "deregistered")
"""存续 operating · 吊销 licence revoked · 注销 deregistered."""
RELATION_ROLES = ("legal_representative", "shareholder", "executive")
PARTY_KINDS = ("person", "enterprise")
INSPECTION_RESULTS = ("no_problem", "problem_found", "not_located")

_RECORD_TYPE_LIST = ", ".join(rt.code for rt in RECORD_TYPES)

ENTERPRISES = Table(
    "enterprises",
    "One row per market entity (企业). Natural key: uscc.",
    (
        Column(
            "uscc", Kind.TEXT, True, "统一社会信用代码, GB 32100 (alphabet and check characters)"
        ),
        Column("name", Kind.TEXT, True, "Registered name (企业名称)"),
        Column("region_code", Kind.TEXT, True, "Registering division, GB/T 2260 6-digit code"),
        Column(
            "industry_code", Kind.TEXT, True, "GB/T 4754-2017 section letter + division, e.g. C13"
        ),
        Column("enterprise_type", Kind.TEXT, True, "One of: " + ", ".join(ENTERPRISE_TYPES)),
        Column(
            "registered_capital",
            Kind.DECIMAL,
            False,
            f"注册资本 in 10,000 CNY (万元), 0 to {MAX_REGISTERED_CAPITAL:,} (10 万亿元)",
            MAX_REGISTERED_CAPITAL,
        ),
        Column("established_on", Kind.DATE, True, "成立日期, not in the future"),
        Column("status", Kind.TEXT, True, "One of: " + ", ".join(ENTERPRISE_STATUSES)),
        Column(
            "deregistered_on",
            Kind.DATE,
            False,
            "注销/吊销日期; required unless status is operating, ≥ established_on",
        ),
        Column(
            "domain_tags",
            Kind.TEXT_LIST,
            False,
            "Professional supervision domains (';'-separated in CSV): " + ", ".join(DOMAINS),
        ),
    ),
    ("uscc",),
)

RECORDS = Table(
    "records",
    "Every record a department produced about an enterprise (归集). Natural key: record_id.",
    (
        Column("record_id", Kind.TEXT, True, "Identifier unique across all departments"),
        Column("uscc", Kind.TEXT, True, "The enterprise, GB 32100"),
        Column("record_type", Kind.TEXT, True, "One of: " + _RECORD_TYPE_LIST),
        Column("occurred_on", Kind.DATE, True, "Date the record was formed (decision, entry…)"),
        Column(
            "collected_on",
            Kind.DATE,
            True,
            "Date it reached the platform (归集); ≥ occurred_on, not in the future",
        ),
        Column("department", Kind.TEXT, True, "Issuing department"),
        Column(
            "severity",
            Kind.INTEGER,
            False,
            "1 轻微 minor, 2 一般 general, 3 严重 serious (values "
            + "/".join(map(str, SEVERITIES))
            + ")",
        ),
        Column(
            "amount",
            Kind.DECIMAL,
            False,
            f"Amount in CNY (fine, levy, pledge, debt…), 0 to {MAX_AMOUNT_CNY:,} (10 万亿元)",
            MAX_AMOUNT_CNY,
        ),
        Column(
            "outcome",
            Kind.TEXT,
            False,
            "Required for types with outcomes, from that type's list (see below)",
        ),
        Column(
            "domain",
            Kind.TEXT,
            False,
            "Supervision domain, required for product_quality_sampling and domain_risk_grade",
        ),
        Column(
            "licence_type",
            Kind.TEXT,
            False,
            "Licence type of " + ", ".join(LICENCE_RECORD_TYPES) + " records (see Licence "
            "types below): required for them in a file that has this column, empty for other "
            "types; a file without the column is taken with no licence types",
        ),
        Column(
            "removed_on", Kind.DATE, False, "List removal (移出); list types only, ≥ occurred_on"
        ),
        Column(
            "repaired_on",
            Kind.DATE,
            False,
            "Credit repair (信用修复); repairable types only, ≥ occurred_on",
        ),
        Column(
            "revoked_on",
            Kind.DATE,
            False,
            "Record revoked or corrected after dispute (异议); never counts afterwards",
        ),
        Column("details", Kind.TEXT, False, "Free-form details (JSON text recommended)"),
    ),
    ("record_id",),
    ("uscc", "record_type", "occurred_on"),
)

RELATIONS = Table(
    "relations",
    "Who stands behind an enterprise: persons (pseudonymous) in roles, and enterprises "
    "investing in it. Natural key: uscc, role, party_id, started_on.",
    (
        Column("uscc", Kind.TEXT, True, "The enterprise, GB 32100"),
        Column("role", Kind.TEXT, True, "One of: " + ", ".join(RELATION_ROLES)),
        Column(
            "party_kind",
            Kind.TEXT,
            True,
            "person, or enterprise (an investing enterprise, role shareholder only)",
        ),
        Column(
            "party_id",
            Kind.TEXT,
            True,
            "Pseudonymous person id; for party_kind enterprise the investor's USCC",
        ),
        Column("share", Kind.DECIMAL, False, "Shareholding fraction, 0 < share ≤ 1"),
        Column("started_on", Kind.DATE, True, "Role began"),
        Column("ended_on", Kind.DATE, False, "Role ended, ≥ started_on"),
    ),
    ("uscc", "role", "party_id", "started_on"),
)

INSPECTIONS = Table(
    "inspections",
    "Spot-check targets of the 双随机、一公开 draws and their results. Natural key: draw_id, uscc.",
    (
        Column("draw_id", Kind.TEXT, True, "Identifier of the draw (抽查任务)"),
        Column("uscc", Kind.TEXT, True, "The inspected enterprise, GB 32100"),
        Column("inspected_on", Kind.DATE, True, "Date of inspection, not in the future"),
        Column("items", Kind.TEXT_LIST, True, "Inspection items (';'-separated in CSV), ≥ 1"),
        Column("result", Kind.TEXT, True, "One of: " + ", ".join(INSPECTION_RESULTS)),
        Column("department", Kind.TEXT, True, "Inspecting department"),
        Column(
            "inspector_ids",
            Kind.TEXT_LIST,
            False,
            "Inspectors who carried it out (';'-separated in CSV), by the `inspectors` "
            "roster's inspector_id; the draws' 回避 keeps them away from the enterprise for "
            "the avoidance window",
        ),
    ),
    ("draw_id", "uscc"),
)

INSPECTORS = Table(
    "inspectors",
    "The roster of law-enforcement inspectors (执法检查人员名录库) the 双随机 draws choose from. "
    "Natural key: inspector_id.",
    (
        Column("inspector_id", Kind.TEXT, True, "Pseudonymous inspector id (执法证号 or staff id)"),
        Column("unit", Kind.TEXT, True,
               "The inspector's unit (执法单位), e.g. 郑州市中原区市场监督管理局"),
        Column("unit_region", Kind.TEXT, True, "The unit's division, GB/T 2260 6-digit code"),
        Column("department", Kind.TEXT, True,
               "Department code of the unit (SCJG market supervision, YJJ drugs, STHJ ecology…); "
               "joint checks (联合抽查) need two"),
        Column("qualifications", Kind.TEXT_LIST, True,
               "Inspection item codes the inspector is qualified for (';'-separated in CSV), ≥ 1"),
        Column("conflict_enterprises", Kind.TEXT_LIST, False,
               "Declared conflicts (回避): enterprises by GB 32100 code"),
        Column("conflict_persons", Kind.TEXT_LIST, False,
               "Declared conflicts (回避): persons by the pseudonymous party_id of `relations` "
               "(an enterprise whose legal representative is one of them is avoided)"),
        Column("unit_conflicts", Kind.TEXT_LIST, False,
               "Enterprises (GB 32100) the whole unit is excluded for; declared on any of the "
               "unit's rows, it applies to all of them"),
    ),
    ("inspector_id",),
)

TABLES: dict[str, Table] = {t.name: t for t in (ENTERPRISES, RECORDS, RELATIONS, INSPECTIONS,
                                                INSPECTORS)}

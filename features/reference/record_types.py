"""Record types collected about enterprises (DESIGN.md §3) and what each one carries.

One table is the single source of truth for: the allowed ``record_type`` codes, their Chinese
and English names, which optional fields apply (severity, amount, domain), which outcomes are
allowed, and which lifecycle dates make sense (list removal, credit repair).
"""

from __future__ import annotations

from typing import NamedTuple


class RecordType(NamedTuple):
    code: str
    zh: str
    en: str
    outcomes: tuple[str, ...] = ()
    """Allowed values of ``outcome``; empty means the field must be empty."""
    has_severity: bool = False
    has_amount: bool = False
    is_list: bool = False
    """A list entry: may carry ``removed_on`` (移出)."""
    repairable: bool = False
    """May carry ``repaired_on`` (信用修复): afterwards it stops counting as dishonesty."""
    needs_domain: bool = False


COLLECTION_DEADLINES = (7, 20)
"""Working days within which a record must be collected (归集): 7 in Nanyang, 20 in Hohhot and
Zhanhe (seeds 000, 001)."""
SEVERITIES = (1, 2, 3)
"""1 轻微 minor · 2 一般 general · 3 严重 serious."""
DOMAINS = ("food", "drug", "special_equipment", "medical_device", "cosmetics", "industrial_product")
RISK_GRADES = ("A", "B", "C", "D")

RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType(
        "administrative_penalty",
        "行政处罚",
        "administrative penalty",
        has_severity=True,
        has_amount=True,
        repairable=True,
    ),
    RecordType("licence", "行政许可", "licence", outcomes=("granted", "renewed", "revoked")),
    RecordType(
        "spot_check",
        "抽查检查",
        "spot-check result",
        outcomes=("no_problem", "problem_found", "not_located"),
    ),
    RecordType("small_business_support", "小微企业扶持", "small-business support", has_amount=True),
    RecordType("joint_punishment", "联合惩戒", "joint punishment", is_list=True),
    RecordType("department_notice", "部门公告", "department notice"),
    RecordType("honour", "荣誉信息", "honour"),
    RecordType(
        "dishonest_debtor",
        "失信被执行人",
        "dishonest judgement debtor",
        has_amount=True,
        is_list=True,
    ),
    RecordType(
        "deregistration_objection", "简易注销异议", "objection to simplified deregistration"
    ),
    RecordType("administrative_confirmation", "行政确认", "administrative confirmation"),
    RecordType("arbitration", "行政仲裁", "administrative arbitration", has_amount=True),
    RecordType("judicial", "司法信息", "judicial record", has_amount=True),
    RecordType(
        "serious_dishonesty",
        "严重违法失信",
        "serious illegal and dishonest list",
        is_list=True,
        repairable=True,
    ),
    RecordType("administrative_levy", "行政征收", "administrative levy", has_amount=True),
    RecordType(
        "product_quality_sampling",
        "产品质量抽查",
        "product-quality sampling",
        outcomes=("pass", "fail"),
        needs_domain=True,
    ),
    RecordType("unlicensed_operation", "无证无照经营", "unlicensed operation", has_severity=True),
    RecordType(
        "abnormal_operation",
        "经营异常名录",
        "abnormal-operation list",
        is_list=True,
        repairable=True,
    ),
    RecordType(
        "registration_change",
        "登记/备案/变更",
        "registration, filing or change",
        outcomes=(
            "legal_representative",
            "address",
            "capital_increase",
            "capital_decrease",
            "shareholder",
            "business_scope",
            "name",
            "filing",
        ),
    ),
    RecordType("equity_pledge", "股权出质", "equity pledge", has_amount=True),
    RecordType("ip_pledge", "知识产权质押", "IP pledge", has_amount=True),
    RecordType(
        "complaint",
        "投诉举报",
        "complaint or report (12315)",
        outcomes=("substantiated", "unsubstantiated", "pending"),
    ),
    RecordType(
        "credit_commitment", "信用承诺", "credit commitment", outcomes=("pending", "kept", "broken")
    ),
    RecordType("annual_report", "年报", "annual report", outcomes=("on_time", "late", "corrected")),
    RecordType(
        "domain_risk_grade",
        "专业领域风险等级",
        "domain risk grade",
        outcomes=RISK_GRADES,
        needs_domain=True,
    ),
)
BY_CODE = {rt.code: rt for rt in RECORD_TYPES}
LIST_TYPES = tuple(rt.code for rt in RECORD_TYPES if rt.is_list)
REPAIRABLE_TYPES = tuple(rt.code for rt in RECORD_TYPES if rt.repairable)

"""The feature catalog: the single source of truth for every feature.

Each entry gives the column name, 中文名, English name, dimension (DESIGN.md §4, plus data
quality), monotone direction (+1 more means riskier, −1 less risky, 0 unknown), unit and a
short description. Training reads monotone constraints from it; explanations read labels and
units from it; `ecr features --catalog` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from features.reference.record_types import RECORD_TYPES

WINDOWS = (3, 12, 36)
"""Look-back windows in months."""


class Dimension(StrEnum):
    BASIC = "basic"  # 企业基础属性信息
    DYNAMIC = "dynamic"  # 企业动态信息
    SUPERVISION = "supervision"  # 监管信息
    RELATED = "related"  # 关联关系信息
    SOCIAL = "social"  # 社会评价信息
    QUALITY = "data_quality"  # 数据质量


DIMENSION_NAMES = {
    Dimension.BASIC: ("企业基础属性信息", "basic attributes"),
    Dimension.DYNAMIC: ("企业动态信息", "dynamic information"),
    Dimension.SUPERVISION: ("监管信息", "supervision"),
    Dimension.RELATED: ("关联关系信息", "related parties"),
    Dimension.SOCIAL: ("社会评价信息", "social evaluation"),
    Dimension.QUALITY: ("数据质量", "data quality"),
}


class Unit(StrEnum):
    COUNT = "count"
    YUAN = "CNY"
    WAN_YUAN = "10k CNY"
    DAYS = "days"
    WORKING_DAYS = "working days"
    YEARS = "years"
    SHARE = "share"
    FLAG = "flag"
    GRADE = "grade"
    CATEGORY = "category"
    DECAYED = "decayed count"
    RATIO = "ratio"


ZERO_WHEN_ABSENT = {Unit.COUNT, Unit.YUAN, Unit.FLAG, Unit.DECAYED}
"""Units whose value is 0 (not missing) for an enterprise without any matching record."""
NON_NEGATIVE = {Unit.COUNT, Unit.YUAN, Unit.WAN_YUAN, Unit.DAYS, Unit.WORKING_DAYS, Unit.YEARS,
                Unit.SHARE, Unit.FLAG}
"""Units no value can be below 0 in (counts, amounts, durations, shares, flags)."""


@dataclass(frozen=True)
class Feature:
    name: str
    zh: str
    en: str
    dimension: Dimension
    direction: int
    unit: Unit
    description: str

    @property
    def is_categorical(self) -> bool:
        return self.unit is Unit.CATEGORY


def _windowed(
    stem: str, zh: str, en: str, dimension: Dimension, direction: int, unit: Unit,
    description: str, windows: tuple[int, ...] = WINDOWS,
) -> list[Feature]:
    """One feature per look-back window: ``{stem}_{w}m``, 近w个月…, … in the last w months."""
    return [
        Feature(f"{stem}_{w}m", f"近{w}个月{zh}", f"{en} in the last {w} months", dimension,
                direction, unit, description)
        for w in windows
    ]


B, D, S, R, SO, Q = (Dimension.BASIC, Dimension.DYNAMIC, Dimension.SUPERVISION,
                     Dimension.RELATED, Dimension.SOCIAL, Dimension.QUALITY)
C, Y, F = Unit.COUNT, Unit.YUAN, Unit.FLAG

CATALOG: tuple[Feature, ...] = (
    # ---- basic attributes
    Feature("age_years", "成立年限", "years since establishment", B, 0, Unit.YEARS,
            "Years from established_on to the as-of date"),
    Feature("registered_capital", "注册资本", "registered capital", B, 0, Unit.WAN_YUAN,
            "Registered capital in 10,000 CNY (missing when not registered)"),
    Feature("enterprise_type", "企业类型", "enterprise type", B, 0, Unit.CATEGORY,
            "Legal form from the enterprises table"),
    Feature("industry_section", "行业门类", "industry section", B, 0, Unit.CATEGORY,
            "GB/T 4754 section letter"),
    Feature("industry_division", "行业大类", "industry division", B, 0, Unit.CATEGORY,
            "GB/T 4754 section letter + 2-digit division (the section alone when no division)"),
    Feature("prefecture", "所属地市", "prefecture", B, 0, Unit.CATEGORY,
            "Prefecture-level division of region_code"),
    Feature("domain_tag_count", "专业领域数", "professional domains", B, 0, C,
            "Number of professional supervision domains the enterprise is tagged with"),
    Feature("tag_food", "食品领域", "food business", B, 0, F, "Tagged food"),
    Feature("tag_drug", "药品领域", "drug business", B, 0, F, "Tagged drug"),
    Feature("tag_special_equipment", "特种设备领域", "special-equipment business", B, 0, F,
            "Tagged special_equipment"),
    # ---- dynamic information
    *_windowed("legal_rep_changes", "法定代表人变更次数", "changes of legal representative",
               D, 1, C, "registration_change records with outcome legal_representative",
               (12, 36)),
    *_windowed("shareholder_changes", "股东变更次数", "changes of shareholders", D, 1, C,
               "registration_change records with outcome shareholder", (12, 36)),
    *_windowed("address_changes", "住所变更次数", "changes of address", D, 1, C,
               "registration_change records with outcome address", (12, 36)),
    Feature("capital_decreases_36m", "近36个月减资次数", "capital decreases in the last 36 months",
            D, 1, C, "registration_change records with outcome capital_decrease"),
    Feature("capital_increases_36m", "近36个月增资次数", "capital increases in the last 36 months",
            D, 0, C, "registration_change records with outcome capital_increase"),
    Feature("name_changes_36m", "近36个月名称变更次数", "name changes in the last 36 months", D, 1,
            C, "registration_change records with outcome name"),
    Feature("scope_changes_36m", "近36个月经营范围变更次数",
            "business-scope changes in the last 36 months", D, 0, C,
            "registration_change records with outcome business_scope"),
    Feature("registration_changes_12m", "近12个月登记备案变更次数",
            "registration changes and filings in the last 12 months", D, 0, C,
            "All registration_change records"),
    Feature("equity_pledges_12m", "近12个月股权出质次数", "equity pledges in the last 12 months",
            D, 1, C, "equity_pledge records"),
    Feature("equity_pledge_amount_36m", "近36个月股权出质金额",
            "equity pledged in the last 36 months", D, 1, Y, "Sum of equity_pledge amounts"),
    Feature("ip_pledges_36m", "近36个月知识产权质押次数", "IP pledges in the last 36 months", D, 0,
            C, "ip_pledge records"),
    Feature("annual_reports_36m", "近36个月年报次数", "annual reports in the last 36 months", D,
            -1, C, "annual_report records"),
    Feature("annual_reports_late_36m", "近36个月逾期年报次数",
            "late annual reports in the last 36 months", D, 1, C,
            "annual_report records with outcome late"),
    Feature("days_since_annual_report", "距最近一次年报天数", "days since the last annual report",
            D, 1, Unit.DAYS, "Missing when no annual report is on record"),
    # ---- supervision
    *_windowed("penalties", "行政处罚次数", "administrative penalties", S, 1, C,
               "administrative_penalty records (repaired ones included)"),
    *_windowed("penalty_amount", "行政处罚金额", "fines", S, 1, Y,
               "Sum of administrative_penalty amounts", (12, 36)),
    Feature("serious_penalties_36m", "近36个月严重行政处罚次数",
            "serious administrative penalties in the last 36 months", S, 1, C,
            "administrative_penalty records with severity 3"),
    Feature("unrepaired_penalties_36m", "近36个月未修复行政处罚次数",
            "unrepaired administrative penalties in the last 36 months", S, 1, C,
            "Penalties not credit-repaired by the as-of date: they still count as dishonesty"),
    Feature("days_since_penalty", "距最近一次行政处罚天数", "days since the last penalty", S, -1,
            Unit.DAYS, "Missing when never penalised"),
    Feature("abnormal_listed_now", "当前列入经营异常名录", "on the abnormal-operation list", S, 1,
            F, "An abnormal_operation entry neither removed nor repaired by the as-of date"),
    Feature("abnormal_listings_36m", "近36个月列入经营异常名录次数",
            "abnormal-operation listings in the last 36 months", S, 1, C,
            "abnormal_operation entries, removed or not"),
    Feature("days_on_abnormal_list", "本次列入经营异常名录天数",
            "days on the abnormal-operation list", S, 1, Unit.DAYS,
            "Days since the earliest current abnormal_operation entry; 0 when not listed"),
    Feature("serious_dishonesty_now", "当前列入严重违法失信名单", "on the serious-dishonesty list",
            S, 1, F, "A serious_dishonesty entry neither removed nor repaired"),
    Feature("serious_dishonesty_ever", "曾列入严重违法失信名单",
            "ever on the serious-dishonesty list", S, 1, F, "Any serious_dishonesty entry"),
    Feature("dishonest_debtor_now", "当前为失信被执行人", "a dishonest judgement debtor", S, 1, F,
            "A dishonest_debtor entry not removed"),
    Feature("dishonest_debtor_entries_36m", "近36个月失信被执行人记录数",
            "dishonest-debtor entries in the last 36 months", S, 1, C, "dishonest_debtor entries"),
    Feature("joint_punishment_now", "当前受联合惩戒", "under joint punishment", S, 1, F,
            "A joint_punishment entry not removed"),
    Feature("spot_checks_36m", "近36个月抽查检查次数", "spot checks in the last 36 months", S, 0, C,
            "spot_check records"),
    *_windowed("spot_check_problems", "抽查发现问题次数", "spot checks finding problems", S, 1,
               C, "spot_check records with outcome problem_found", (12, 36)),
    Feature("spot_check_not_located_36m", "近36个月抽查查无下落次数",
            "spot checks not locating the enterprise in the last 36 months", S, 1, C,
            "spot_check records with outcome not_located"),
    Feature("spot_check_problem_rate_36m", "近36个月抽查问题发现率",
            "share of spot checks finding problems in the last 36 months", S, 1, Unit.SHARE,
            "problem_found / spot checks; missing when not checked"),
    Feature("days_since_spot_check_problem", "距最近一次抽查发现问题天数",
            "days since a spot check last found problems", S, -1, Unit.DAYS,
            "Missing when no spot check found problems"),
    Feature("draws_36m", "近36个月被抽中次数", "times drawn for inspection in the last 36 months",
            S, 0, C, "Rows of the inspections table inspected in the window"),
    Feature("quality_samples_36m", "近36个月产品质量抽检次数",
            "product-quality samples in the last 36 months", S, 0, C,
            "product_quality_sampling records"),
    Feature("quality_failures_36m", "近36个月产品质量抽检不合格次数",
            "failed product-quality samples in the last 36 months", S, 1, C,
            "product_quality_sampling records with outcome fail"),
    Feature("unlicensed_operation_36m", "近36个月无证无照经营次数",
            "unlicensed operation in the last 36 months", S, 1, C, "unlicensed_operation records"),
    Feature("licences_granted_36m", "近36个月获得行政许可次数",
            "licences granted or renewed in the last 36 months", S, 0, C,
            "licence records with outcome granted or renewed"),
    Feature("licences_revoked_36m", "近36个月许可被吊销次数",
            "licences revoked in the last 36 months", S, 1, C,
            "licence records with outcome revoked"),
    *_windowed("judicial_records", "司法信息次数", "judicial records", S, 1, C,
               "judicial records", (12, 36)),
    Feature("judicial_amount_36m", "近36个月司法涉案金额",
            "amounts in judicial records in the last 36 months", S, 1, Y,
            "Sum of judicial record amounts"),
    Feature("arbitrations_36m", "近36个月行政仲裁次数", "arbitrations in the last 36 months", S, 0,
            C, "arbitration records"),
    Feature("levies_36m", "近36个月行政征收次数", "administrative levies in the last 36 months", S,
            0, C, "administrative_levy records"),
    Feature("department_notices_36m", "近36个月部门公告次数",
            "department notices in the last 36 months", S, 0, C, "department_notice records"),
    Feature("deregistration_objections_36m", "近36个月简易注销异议次数",
            "objections to simplified deregistration in the last 36 months", S, 1, C,
            "deregistration_objection records"),
    Feature("administrative_confirmations_36m", "近36个月行政确认次数",
            "administrative confirmations in the last 36 months", S, 0, C,
            "administrative_confirmation records"),
    Feature("domain_risk_grade", "专业领域风险等级", "domain risk grade", S, 1, Unit.GRADE,
            "Latest domain_risk_grade, A=1 … D=4 (worst domain when several on the same day)"),
    # ---- related parties (link-weighted: a related enterprise reached through two shared
    #      persons counts twice; aggregated per person first, so linear in relation edges)
    Feature("persons_linked", "关联自然人数", "persons linked", R, 0, C,
            "Distinct persons in a current role (legal representative, shareholder, executive)"),
    Feature("enterprise_shareholders", "企业股东数", "enterprise shareholders", R, 0, C,
            "Current shareholders that are enterprises"),
    Feature("investments_out", "对外投资企业数", "enterprises invested in", R, 0, C,
            "Enterprises in which this enterprise is a current shareholder"),
    Feature("related_enterprises", "关联企业数", "related enterprises", R, 0, C,
            "Other enterprises sharing a person, counted once per shared person"),
    Feature("related_listed_share", "关联企业列入名录比例", "share of related enterprises listed",
            R, 1, Unit.SHARE,
            "Related enterprises currently on the abnormal-operation, serious-dishonesty or "
            "dishonest-debtor list / related enterprises"),
    Feature("related_dishonest_share", "关联企业失信比例",
            "share of related enterprises seriously dishonest", R, 1, Unit.SHARE,
            "Related enterprises on the serious-dishonesty or dishonest-debtor list now"),
    Feature("related_penalised_share_12m", "关联企业近12个月受处罚比例",
            "share of related enterprises penalised in the last 12 months", R, 1, Unit.SHARE,
            "Related enterprises with an administrative penalty in the last 12 months"),
    Feature("related_closed_share", "关联企业注销吊销比例",
            "share of related enterprises closed", R, 1, Unit.SHARE,
            "Related enterprises deregistered or revoked by the as-of date"),
    Feature("legal_rep_other_enterprises", "法定代表人关联其他企业数",
            "other enterprises of the legal representative", R, 0, C,
            "Other enterprises in which the legal representative holds any current role"),
    Feature("legal_rep_listed_enterprises", "法定代表人关联企业列入名录数",
            "listed enterprises of the legal representative", R, 1, C,
            "Of those, enterprises currently on a list"),
    Feature("max_person_degree", "关联自然人最大关联企业数",
            "largest number of enterprises of one linked person", R, 0, C,
            "Largest number of enterprises any of its persons holds a role in"),
    Feature("investors_listed", "企业股东列入名录数", "listed enterprise shareholders", R, 1, C,
            "Enterprise shareholders currently on a list"),
    # ---- social evaluation
    *_windowed("complaints", "投诉举报次数", "complaints and reports", SO, 1, C,
               "complaint records (12315)"),
    *_windowed("complaints_substantiated", "投诉举报属实次数", "substantiated complaints", SO, 1,
               C, "complaint records with outcome substantiated", (12, 36)),
    Feature("honours_36m", "近36个月荣誉次数", "honours in the last 36 months", SO, -1, C,
            "honour records"),
    Feature("small_business_support_36m", "近36个月小微企业扶持次数",
            "small-business support in the last 36 months", SO, 0, C,
            "small_business_support records"),
    Feature("commitments_kept_36m", "近36个月信用承诺履行次数",
            "credit commitments kept in the last 36 months", SO, -1, C,
            "credit_commitment records with outcome kept"),
    Feature("commitments_broken_36m", "近36个月信用承诺未履行次数",
            "credit commitments broken in the last 36 months", SO, 1, C,
            "credit_commitment records with outcome broken"),
    # ---- data quality
    Feature("records_36m", "近36个月归集记录数", "records collected in the last 36 months", Q, 0,
            C, "All visible records that occurred in the window"),
    Feature("late_collection_share_36m", "近36个月逾期归集比例",
            "share of records collected late in the last 36 months", Q, 0, Unit.SHARE,
            "Collected more than 7 working days after forming (Nanyang's deadline)"),
    Feature("max_collection_delay_36m", "近36个月最长归集延迟",
            "longest collection delay in the last 36 months", Q, 0, Unit.WORKING_DAYS,
            "Working days from forming to collection, Monday–Friday"),
)

HALF_LIFE_DAYS = 365.0
"""Half-life of a record's weight in the decayed counts."""
EVENTS: tuple[tuple[str, str | None], ...] = tuple(
    event for t in RECORD_TYPES for event in ((t.code, None), *((t.code, o) for o in t.outcomes))
)
"""Every record type, and every outcome of a type: what the generic features count."""
EVENT_DIMENSIONS = {
    **dict.fromkeys(("registration_change", "equity_pledge", "ip_pledge", "annual_report"), D),
    **dict.fromkeys(("complaint", "honour", "credit_commitment", "small_business_support"), SO),
}
"""The dimension of a record type's generic features (supervision when not listed)."""


def event_column(record_type: str, outcome: str | None) -> str:
    """``ev_spot_check`` / ``ev_spot_check__problem_found``: the stem of an event's features."""
    return f"ev_{record_type}__{outcome}" if outcome else f"ev_{record_type}"


def _generic_features() -> tuple[Feature, ...]:
    """Five unconstrained features per event (`features.engineering.generic`)."""
    names = {t.code: t for t in RECORD_TYPES}
    out = []
    for code, outcome in EVENTS:
        kind = names[code]
        stem = event_column(code, outcome)
        zh = f"{kind.zh}（{outcome}）" if outcome else kind.zh
        en = f"{kind.en} ({outcome})" if outcome else kind.en
        where = f"{code} records" + (f" with outcome {outcome}" if outcome else "")
        dimension = EVENT_DIMENSIONS.get(code, S)
        out += [Feature(f"{stem}_{w}m", f"近{w}个月{zh}次数", f"{en} in the last {w} months",
                        dimension, 0, C, f"Generic: {where}") for w in WINDOWS]
        out += [
            Feature(f"{stem}_days_since", f"距最近一次{zh}天数", f"days since the last {en}",
                    dimension, 0, Unit.DAYS, f"Generic: {where}; missing when none"),
            Feature(f"{stem}_decayed", f"{zh}近期加权次数",
                    f"{en}, decayed count (half-life {HALF_LIFE_DAYS:.0f} days)", dimension, 0,
                    Unit.DECAYED, f"Generic: {where}, each weighing 2^(−age / half-life)"),
        ]
    return tuple(out)


GENERIC = _generic_features()
RELATED_GENERIC: tuple[Feature, ...] = tuple(
    Feature(name, zh, en, R, 0, unit, description) for name, zh, en, unit, description in (
        ("related_adverse_12m", "关联企业近12个月不良记录数",
         "adverse records of related enterprises in the last 12 months", C,
         "Generic: the label's adverse records (penalty, listings, failed spot check) of the "
         "enterprises sharing a person, counted once per shared person"),
        ("related_adverse_36m", "关联企业近36个月不良记录数",
         "adverse records of related enterprises in the last 36 months", C,
         "Generic: as related_adverse_12m over 36 months"),
        ("related_adverse_rate_12m", "关联企业近12个月户均不良记录数",
         "adverse records per related enterprise in the last 12 months", Unit.RATIO,
         "Generic: related_adverse_12m / related_enterprises; missing without any"),
    ))
CATALOG = (*CATALOG, *GENERIC, *RELATED_GENERIC)

BY_NAME = {f.name: f for f in CATALOG}
FEATURE_NAMES = tuple(f.name for f in CATALOG)
CATEGORICAL = tuple(f.name for f in CATALOG if f.is_categorical)


def monotone_constraints(names: list[str] | tuple[str, ...]) -> list[int]:
    """LightGBM monotone constraints for ``names``, in order, from the catalog directions."""
    return [BY_NAME[n].direction for n in names]

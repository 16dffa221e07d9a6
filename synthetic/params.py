"""Fixed parameters of the synthetic province: shares, weights, rates and vocabularies.

Everything here is plain data (tuples and small dicts with a fixed order), so the generator's
output depends only on its arguments. Rates are per enterprise-month unless stated otherwise.
"""

from __future__ import annotations

from typing import NamedTuple

PROVINCE = "41"
PROVINCE_NAME = "河南省"

# Prefecture weights ~ resident population (2020 census, millions), Zhengzhou boosted for its
# much higher density of market entities.
PREFECTURE_WEIGHTS: dict[str, float] = {
    "410100": 12.6 * 1.8, "410200": 4.8, "410300": 7.1 * 1.2, "410400": 5.0, "410500": 5.5,
    "410600": 1.6, "410700": 6.3, "410800": 3.5, "410900": 3.8, "411000": 4.4, "411100": 2.4,
    "411200": 2.0, "411300": 9.7, "411400": 7.8, "411500": 6.2, "411600": 9.0, "411700": 7.0,
    "419001": 0.7,
}
PREFECTURE_SELF_SHARE = 0.08
"""Share of a prefecture's entities registered at the municipal bureau (region = prefecture)."""

# Enterprise types: share of market entities, capital lognormal (median 万元, sigma), share of
# capital left empty, USCC organisation-type character.
class TypeSpec(NamedTuple):
    code: str
    share: float
    capital_median: float
    capital_sigma: float
    capital_null: float
    org_type: str
    risk: float
    """Additive effect on the base risk logit."""


TYPES: tuple[TypeSpec, ...] = (
    TypeSpec("limited_liability", 0.400, 100.0, 1.4, 0.00, "1", 0.00),
    TypeSpec("joint_stock", 0.010, 3000.0, 1.2, 0.00, "1", -0.60),
    TypeSpec("sole_proprietorship", 0.030, 10.0, 1.1, 0.02, "1", 0.15),
    TypeSpec("partnership", 0.012, 100.0, 1.6, 0.02, "1", 0.30),
    TypeSpec("branch", 0.050, 0.0, 0.0, 1.00, "1", -0.20),
    TypeSpec("foreign_invested", 0.004, 800.0, 1.5, 0.00, "1", -0.40),
    TypeSpec("farmers_cooperative", 0.040, 100.0, 1.1, 0.05, "3", 0.10),
    TypeSpec("individual_business", 0.440, 3.0, 1.1, 0.35, "2", 0.05),
    TypeSpec("other", 0.014, 50.0, 1.5, 0.30, "1", 0.00),
)
TYPE_CODES = tuple(t.code for t in TYPES)
INDIVIDUAL = TYPE_CODES.index("individual_business")
COOPERATIVE = TYPE_CODES.index("farmers_cooperative")
BRANCH = TYPE_CODES.index("branch")
COMPANY_TYPES = tuple(TYPE_CODES.index(c) for c in ("limited_liability", "joint_stock"))

# Industry section weights per family of types (general enterprises, individual businesses,
# cooperatives).
SECTION_WEIGHTS: dict[str, dict[str, float]] = {
    "general": {
        "A": 0.04, "B": 0.005, "C": 0.10, "D": 0.01, "E": 0.07, "F": 0.30, "G": 0.04, "H": 0.04,
        "I": 0.06, "J": 0.01, "K": 0.03, "L": 0.12, "M": 0.06, "N": 0.01, "O": 0.03, "P": 0.01,
        "Q": 0.01, "R": 0.02, "S": 0.004,
    },
    "individual": {
        "A": 0.03, "C": 0.04, "E": 0.02, "F": 0.52, "G": 0.05, "H": 0.15, "I": 0.02, "L": 0.02,
        "M": 0.01, "O": 0.11, "P": 0.004, "Q": 0.01, "R": 0.02,
    },
    "cooperative": {"A": 0.92, "C": 0.03, "F": 0.03, "O": 0.02},
}
# Relative division weights within a section (default 1.0); F and H differ for individuals.
DIVISION_WEIGHTS: dict[str, float] = {
    "A01": 3, "A02": 0.5, "A03": 2, "A04": 0.5,
    "B06": 1, "B07": 0.2, "B08": 0.3, "B09": 0.3, "B10": 2, "B11": 0.5, "B12": 0.2,
    "C13": 3, "C14": 2, "C15": 1, "C16": 0.02, "C17": 1.5, "C18": 2, "C19": 1, "C21": 1.2,
    "C22": 0.6, "C24": 0.6, "C25": 0.2, "C26": 1.5, "C27": 0.6, "C28": 0.2, "C29": 1.5,
    "C30": 2.5, "C31": 0.5, "C32": 0.6, "C33": 2.5, "C34": 2.5, "C35": 2, "C37": 0.3,
    "C38": 1.5, "C40": 0.5, "C41": 0.5, "C42": 0.5, "C43": 0.5,
    "D44": 1, "D45": 0.4, "D46": 0.6,
    "E47": 2, "E48": 1.5, "E49": 1, "E50": 2.5,
    "F51": 0.45, "F52": 0.55,
    "G53": 0.05, "G54": 4, "G55": 0.1, "G56": 0.05, "G57": 0.05, "G58": 1, "G59": 1, "G60": 0.8,
    "H61": 0.15, "H62": 0.85,
    "I63": 0.3, "I64": 1, "I65": 2,
    "J66": 0.05, "J67": 0.3, "J68": 0.1, "J69": 1,
    "L71": 0.6, "L72": 3,
    "M73": 0.3, "M74": 1.5, "M75": 3,
    "N76": 0.3, "N77": 0.6, "N78": 1, "N79": 0.1,
    "O80": 2, "O81": 1.5, "O82": 1,
    "Q84": 1, "Q85": 0.3,
    "R86": 0.1, "R87": 0.5, "R88": 1.5, "R89": 0.8, "R90": 1,
    "S91": 0.1, "S92": 0.1, "S93": 0.3, "S94": 1, "S95": 1, "S96": 0.3, "S97": 0.2,
}
INDIVIDUAL_DIVISION_WEIGHTS: dict[str, float] = {"F51": 0.15, "F52": 0.85, "H61": 0.08, "H62": 0.92}
SECTION_RISK: dict[str, float] = {
    "A": -0.10, "B": 0.15, "C": 0.05, "D": -0.30, "E": 0.25, "F": 0.10, "G": 0.10, "H": 0.20,
    "I": 0.00, "J": 0.25, "K": 0.20, "L": 0.35, "M": -0.15, "N": -0.20, "O": 0.05, "P": -0.10,
    "Q": -0.10, "R": 0.05, "S": -0.30, "T": 0.0,
}

# Domain tags: (industry prefix, domain, probability); the longest matching prefix wins per
# domain.
DOMAIN_RULES: tuple[tuple[str, str, float], ...] = (
    ("C13", "food", 0.90), ("C14", "food", 1.0), ("C15", "food", 1.0), ("H61", "food", 0.70),
    ("H62", "food", 0.97), ("F51", "food", 0.15), ("F52", "food", 0.45), ("P83", "food", 0.10),
    ("Q84", "food", 0.10),
    ("C27", "drug", 1.0), ("F51", "drug", 0.03), ("F52", "drug", 0.06), ("Q84", "drug", 0.50),
    ("C35", "medical_device", 0.15), ("C40", "medical_device", 0.05),
    ("F51", "medical_device", 0.03), ("F52", "medical_device", 0.05),
    ("Q84", "medical_device", 0.40),
    ("C26", "cosmetics", 0.12), ("F52", "cosmetics", 0.05), ("O80", "cosmetics", 0.25),
    ("B", "special_equipment", 0.30), ("C", "special_equipment", 0.25),
    ("D", "special_equipment", 0.40), ("E", "special_equipment", 0.10),
    ("G54", "special_equipment", 0.10), ("G59", "special_equipment", 0.30),
    ("H61", "special_equipment", 0.30), ("K70", "special_equipment", 0.40),
    ("F52", "special_equipment", 0.02), ("R90", "special_equipment", 0.10),
    ("C", "industrial_product", 0.30), ("C13", "industrial_product", 0.0),
    ("C14", "industrial_product", 0.0), ("C15", "industrial_product", 0.0),
    ("C27", "industrial_product", 0.0), ("E", "industrial_product", 0.05),
)

# Departments (code, name). Courts are named by level in `departments.py`.
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("SCJG", "市场监督管理局"), ("SW", "税务局"), ("RS", "人力资源和社会保障局"),
    ("STHJ", "生态环境局"), ("YJGL", "应急管理局"), ("ZJ", "住房和城乡建设局"),
    ("JT", "交通运输局"), ("WJ", "卫生健康委员会"), ("FY", "人民法院"), ("ZSCQ", "知识产权局"),
    ("FGW", "发展和改革委员会"), ("GXJ", "工业和信息化局"), ("CZ", "财政局"),
    ("YJJ", "药品监督管理局"), ("SWJ", "商务局"), ("XZSP", "行政审批服务局"),
    ("ZRZY", "自然资源和规划局"), ("NY", "农业农村局"), ("WH", "文化广电和旅游局"),
    ("XF", "消防救援支队"),
)
DEPARTMENT_LEVEL_SHARES = (0.55, 0.42, 0.03)
"""Share of records issued at county, prefecture and province level."""

DEPT_BY_TYPE: dict[str, tuple[tuple[str, float], ...]] = {
    "administrative_penalty": (("SCJG", .45), ("SW", .12), ("STHJ", .10), ("YJGL", .06),
                               ("ZJ", .06), ("JT", .06), ("WJ", .05), ("XF", .04), ("NY", .03),
                               ("WH", .03)),
    "licence": (("XZSP", .35), ("SCJG", .35), ("WJ", .06), ("JT", .06), ("ZJ", .06),
                ("STHJ", .05), ("YJJ", .04), ("WH", .03)),
    "spot_check": (("SCJG", 1.0),),
    "small_business_support": (("GXJ", .40), ("CZ", .20), ("RS", .25), ("SW", .15)),
    "joint_punishment": (("FGW", 1.0),),
    "department_notice": (("SCJG", .30), ("SW", .20), ("RS", .10), ("ZJ", .10), ("STHJ", .10),
                          ("FGW", .10), ("SWJ", .10)),
    "honour": (("SCJG", .30), ("SW", .30), ("GXJ", .20), ("RS", .10), ("SWJ", .10)),
    "dishonest_debtor": (("FY", 1.0),),
    "deregistration_objection": (("SCJG", 1.0),),
    "administrative_confirmation": (("SW", .40), ("RS", .30), ("ZJ", .15), ("NY", .15)),
    "arbitration": (("RS", 1.0),),
    "judicial": (("FY", 1.0),),
    "serious_dishonesty": (("SCJG", .85), ("SW", .10), ("RS", .05)),
    "administrative_levy": (("SW", .60), ("RS", .25), ("ZRZY", .08), ("STHJ", .07)),
    "product_quality_sampling": (("SCJG", 1.0),),
    "unlicensed_operation": (("SCJG", 1.0),),
    "abnormal_operation": (("SCJG", 1.0),),
    "registration_change": (("SCJG", .90), ("XZSP", .10)),
    "equity_pledge": (("SCJG", 1.0),),
    "ip_pledge": (("ZSCQ", 1.0),),
    "complaint": (("SCJG", .85), ("WJ", .05), ("JT", .05), ("ZJ", .05)),
    "credit_commitment": (("FGW", .30), ("XZSP", .40), ("SCJG", .20), ("SW", .10)),
    "annual_report": (("SCJG", 1.0),),
    "domain_risk_grade": (("SCJG", 1.0),),
}


class PoissonSpec(NamedTuple):
    """A record type drawn as a Poisson process with multiplicative effects."""

    code: str
    monthly: float
    """Base events per enterprise-month at average risk and size."""
    risk: float
    """Exponent on the base risk logit (exp(risk * r), renormalised to mean 1)."""
    excite: float
    """Exponent on the excitation state (self + network)."""
    size: float
    """Exponent on the standardised log capital."""
    individual: float
    """Rate multiplier for individual businesses (and cooperatives)."""
    kmax: int = 1
    """Largest count drawn per enterprise-month."""


POISSON_TYPES: tuple[PoissonSpec, ...] = (
    PoissonSpec("administrative_levy", 0.400, 0.0, 0.0, 0.35, 0.35, 4),
    PoissonSpec("administrative_confirmation", 0.120, 0.0, 0.0, 0.25, 0.50, 2),
    PoissonSpec("licence", 0.095, -0.1, 0.0, 0.15, 0.80, 2),
    PoissonSpec("registration_change", 0.070, 0.25, 0.1, 0.15, 0.50, 2),
    PoissonSpec("department_notice", 0.045, 0.30, 0.2, 0.10, 0.60, 1),
    PoissonSpec("credit_commitment", 0.065, -0.2, 0.0, 0.20, 0.50, 1),
    PoissonSpec("small_business_support", 0.030, -0.5, 0.0, -0.30, 1.20, 1),
    PoissonSpec("complaint", 0.018, 0.70, 0.5, 0.05, 1.10, 2),
    PoissonSpec("judicial", 0.011, 0.80, 0.5, 0.30, 0.40, 2),
    PoissonSpec("honour", 0.005, -1.20, -0.5, 0.45, 0.30, 1),
    PoissonSpec("administrative_penalty", 0.0030, 1.05, 0.8, 0.10, 0.70, 1),
    PoissonSpec("product_quality_sampling", 0.012, 0.0, 0.0, 0.20, 0.50, 1),
    PoissonSpec("unlicensed_operation", 0.0008, 0.90, 0.6, -0.40, 1.50, 1),
    PoissonSpec("arbitration", 0.0018, 0.60, 0.3, 0.20, 0.30, 1),
    PoissonSpec("equity_pledge", 0.0035, 0.30, 0.2, 0.40, 0.0, 1),
    PoissonSpec("ip_pledge", 0.0010, -0.3, 0.0, 0.40, 0.0, 1),
    PoissonSpec("deregistration_objection", 0.0002, 0.80, 0.3, 0.10, 0.50, 1),
    PoissonSpec("abnormal_operation", 0.0004, 1.10, 0.6, 0.0, 1.0, 1),
    PoissonSpec("dishonest_debtor", 0.00025, 1.10, 0.7, 0.10, 0.60, 1),
    PoissonSpec("serious_dishonesty", 0.00005, 1.20, 0.8, 0.0, 0.60, 1),
)
"""Record types drawn each month as Poisson counts; other types come from mechanisms
(annual reports, spot checks, list rules, role changes, domain grading, follow-ups)."""

# Registration-change outcomes drawn at random (role changes come from the relations plan).
CHANGE_OUTCOMES: tuple[tuple[str, float], ...] = (
    ("address", .28), ("business_scope", .27), ("filing", .20), ("capital_increase", .09),
    ("capital_decrease", .04), ("name", .07),
)
MONTH_SEASON = (0.92, 0.72, 1.06, 1.02, 1.00, 1.05, 1.00, 0.99, 1.01, 0.88, 1.04, 1.18)
"""Activity by calendar month (Spring Festival in Jan/Feb, National Day in October)."""

# Collection delay in working days: (share, low, high) inclusive.
COLLECTION_DELAYS: tuple[tuple[float, int, int], ...] = ((0.83, 1, 7), (0.14, 8, 20),
                                                          (0.03, 21, 60))
# Departments known to collect late (their delays are drawn from a later mix).
LATE_DEPARTMENTS = ("FY", "ZRZY", "NY")
LATE_DELAYS: tuple[tuple[float, int, int], ...] = ((0.55, 1, 7), (0.35, 8, 20), (0.10, 21, 60))


class InspectionTask(NamedTuple):
    code: str
    department: str
    eligible: str
    """``all``, ``employer``, a domain name, or ``sections:XYZ``."""
    yearly: float
    """Random-draw share of eligible enterprises per year."""
    items: tuple[str, ...]
    problem_shift: float
    """Added to the problem-found logit (some items find problems more often)."""


INSPECTION_TASKS: tuple[InspectionTask, ...] = (
    InspectionTask("GEN", "SCJG", "all", 0.030,
                   ("登记事项", "年度报告公示信息", "营业执照规范使用", "即时信息公示",
                    "住所或经营场所", "广告发布"), 0.0),
    InspectionTask("FOOD", "SCJG", "food", 0.050,
                   ("食品经营许可", "食品安全管理制度", "进货查验记录", "从业人员健康管理",
                    "食品贮存条件"), 0.35),
    InspectionTask("SPEQ", "SCJG", "special_equipment", 0.050,
                   ("特种设备使用登记", "定期检验", "作业人员资格", "安全管理制度"), 0.25),
    InspectionTask("INDP", "SCJG", "industrial_product", 0.040,
                   ("产品质量", "生产许可条件", "标准执行"), 0.20),
    InspectionTask("DRUG", "YJJ", "drug", 0.080,
                   ("药品经营质量管理规范", "药品购销记录", "处方药销售管理", "储存养护"), 0.30),
    InspectionTask("MDEV", "YJJ", "medical_device", 0.060,
                   ("医疗器械经营备案", "产品注册证", "进货查验记录"), 0.20),
    InspectionTask("COSM", "YJJ", "cosmetics", 0.050,
                   ("化妆品进货查验", "标签标识", "产品备案"), 0.20),
    InspectionTask("ENV", "STHJ", "sections:BCD", 0.030,
                   ("排污许可", "污染防治设施运行", "危险废物管理"), 0.30),
    InspectionTask("SAFE", "YJGL", "sections:BCE", 0.030,
                   ("安全生产责任制", "隐患排查治理", "应急预案"), 0.25),
    InspectionTask("BUILD", "ZJ", "sections:EK", 0.030,
                   ("资质条件", "施工许可", "工程质量安全"), 0.20),
    InspectionTask("TRANS", "JT", "sections:G", 0.030,
                   ("道路运输经营许可", "车辆技术管理", "从业人员资格"), 0.15),
    InspectionTask("LABOR", "RS", "employer", 0.010,
                   ("劳动合同", "工资支付", "社会保险"), 0.10),
)

# Name fragments.
NAME_SYLLABLES = (
    "鑫", "华", "盛", "源", "恒", "泰", "达", "通", "祥", "瑞", "丰", "隆", "昌", "兴", "宏",
    "伟", "业", "信", "诚", "德", "博", "嘉", "和", "润", "佳", "金", "银", "豫", "中", "原",
    "天", "地", "宇", "新", "创", "科", "联", "合", "安", "康", "美", "尚", "品", "优", "志",
    "远", "广", "汇", "聚", "众", "海", "山", "林", "森", "阳", "光", "明", "辉", "宝", "利",
    "永", "长", "久", "福", "禄", "富", "贵", "荣", "旺", "顺", "锦", "绣", "云", "龙", "凤",
    "亿", "万", "千", "百", "星", "月", "晨", "曦", "晟", "骏", "驰", "腾", "飞", "翔", "凯",
)
INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "A": ("农业", "种植", "养殖", "农牧", "生态农业", "林业"),
    "B": ("矿业", "石材", "砂石"),
    "C": ("实业", "制造", "机械", "科技", "新材料", "电子", "制品"),
    "C13": ("食品", "粮油", "农副产品"), "C14": ("食品", "调味品"), "C15": ("酒业", "饮品"),
    "C27": ("制药", "药业"), "C26": ("化工", "日化"), "C18": ("服饰", "服装"),
    "D": ("能源", "电力", "燃气", "水务"),
    "E": ("建筑工程", "建设工程", "装饰工程", "建设", "安装工程"),
    "F": ("商贸", "贸易", "商行", "建材", "供应链", "百货"),
    "F52": ("商贸", "超市", "百货", "商行"),
    "G": ("物流", "运输", "货运", "快递"),
    "H": ("餐饮管理", "酒店管理", "餐饮"), "H62": ("餐饮", "餐饮管理", "饮食"),
    "I": ("网络科技", "信息技术", "软件", "科技"),
    "J": ("投资", "金融服务", "资产管理"),
    "K": ("房地产开发", "置业", "物业服务"),
    "L": ("企业管理咨询", "商务服务", "人力资源", "广告", "文化传媒", "租赁"),
    "M": ("技术服务", "工程设计", "检测", "科技"),
    "N": ("环保", "环境工程", "园林绿化"),
    "O": ("家政服务", "汽车维修", "美容", "洗衣"), "O80": ("美容美发", "家政服务", "摄影"),
    "P": ("教育咨询", "培训"), "Q": ("医院", "诊所", "健康管理"),
    "R": ("文化传播", "体育", "娱乐"), "S": ("服务中心",), "T": ("代表处",),
}
INDIVIDUAL_WORDS: dict[str, tuple[str, ...]] = {
    "A": ("家庭农场", "种植园", "养殖场"),
    "C": ("加工坊", "加工厂", "作坊"),
    "E": ("装修队", "建材经营部"),
    "F": ("便利店", "超市", "商行", "副食店", "烟酒店", "日杂店", "建材店", "水果店"),
    "G": ("货运部", "物流部"),
    "H": ("小吃店", "饭店", "面馆", "烧烤店", "餐馆", "早餐店"),
    "O": ("理发店", "美容店", "洗车行", "修理部", "家政服务部"),
    "Q": ("诊所", "大药房"),
    "R": ("棋牌室", "文化用品店"),
}
"""Individual businesses are named after what they run (default 经营部)."""
TYPE_SUFFIX: dict[str, tuple[str, ...]] = {
    "limited_liability": ("有限公司", "有限责任公司"),
    "joint_stock": ("股份有限公司",),
    "sole_proprietorship": ("中心", "经营部", "工作室"),
    "partnership": ("合伙企业（有限合伙）", "合伙企业（普通合伙）"),
    "branch": ("有限公司分公司",),
    "foreign_invested": ("有限公司",),
    "farmers_cooperative": ("专业合作社",),
    "individual_business": ("",),
    "other": ("中心", "所"),
}

# Person degree tail: P(enterprises per person >= k) ~ k^-PERSON_ALPHA.
PERSON_ALPHA = 1.9
PERSON_MAX_DEGREE_SHARE = 1 / 250
"""Cap on one person's number of role slots, as a share of all enterprises."""

# Hawkes-like excitation.
SELF_DECAY = 0.80
SELF_JUMP = 0.55
NETWORK_DECAY = 0.85
NETWORK_JUMP = 0.35
NETWORK_LAG = 2
ADVERSE_WEIGHTS: dict[str, float] = {
    "administrative_penalty": 1.0, "abnormal_operation": 0.8, "serious_dishonesty": 1.5,
    "dishonest_debtor": 1.2, "spot_check": 1.0, "complaint": 0.35, "judicial": 0.35,
    "unlicensed_operation": 0.8, "product_quality_sampling": 0.8, "joint_punishment": 0.5,
    "licence": 1.0,
}
"""Weight of each adverse record in the excitation; for spot_check, product_quality_sampling,
complaint and licence only the adverse outcomes count."""

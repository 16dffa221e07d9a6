"""Licence types (行政许可的种类) a ``licence`` record may name in ``licence_type``.

The types the inspection items catalogue and the 双随机 draws need to tell apart: the licences
of the professional domains (food, drugs, medical devices, cosmetics, special equipment,
industrial products) and a few licences other departments grant whose holders are inspected
(pollutant discharge, construction qualification, road transport); every other licence is
``other``. ``valid_years`` is the term a grant or renewal is valid for where a national rule
sets one (the licence then lapses unless renewed); ``None`` where none is set, or it is left
to local rules: such a licence is held until revoked.
"""

from __future__ import annotations

from typing import NamedTuple


class LicenceType(NamedTuple):
    code: str
    zh: str
    en: str
    valid_years: int | None
    """Years a grant or renewal is valid for; None: held until revoked."""
    basis: str
    """The rule that sets the term (or says there is none)."""


LICENCE_TYPES: tuple[LicenceType, ...] = (
    LicenceType("food_business", "食品经营许可", "food business licence", 5,
                "《食品经营许可和备案管理办法》: 有效期为五年"),
    LicenceType("food_production", "食品生产许可", "food production licence", 5,
                "《食品生产许可管理办法》: 有效期为五年"),
    LicenceType("drug_business", "药品经营许可", "drug business licence", 5,
                "《药品经营和使用质量监督管理办法》: 有效期为五年"),
    LicenceType("drug_production", "药品生产许可", "drug manufacturing licence", 5,
                "《药品生产监督管理办法》: 有效期为五年"),
    LicenceType("medical_device_business", "医疗器械经营许可", "medical-device business licence",
                5, "《医疗器械经营监督管理办法》: 有效期为五年"),
    LicenceType("medical_device_production", "医疗器械生产许可",
                "medical-device production licence", 5,
                "《医疗器械生产监督管理办法》: 有效期为五年"),
    LicenceType("cosmetics_production", "化妆品生产许可", "cosmetics production licence", 5,
                "《化妆品生产经营监督管理办法》: 有效期为五年"),
    LicenceType("industrial_product_production", "工业产品生产许可",
                "industrial-product production licence", 5,
                "《工业产品生产许可证管理条例》: 有效期为五年"),
    LicenceType("special_equipment_use", "特种设备使用登记", "special-equipment use registration",
                None, "《特种设备使用管理规则》: 使用登记证无有效期, 设备停用、报废时注销"),
    LicenceType("special_equipment_production", "特种设备生产许可",
                "special-equipment production licence", 4,
                "《特种设备生产和充装单位许可规则》: 有效期为四年"),
    LicenceType("pollutant_discharge", "排污许可", "pollutant discharge permit", 5,
                "《排污许可管理条例》: 有效期为五年"),
    LicenceType("construction_qualification", "建筑业企业资质", "construction enterprise "
                "qualification", 5, "《建筑业企业资质管理规定》: 资质证书有效期为五年"),
    LicenceType("road_transport", "道路运输经营许可", "road transport operating licence", None,
                "terms set by province and by kind of transport: held until revoked here"),
    LicenceType("other", "其他行政许可", "any other licence", None,
                "no common term: held until revoked"),
)
BY_CODE = {lt.code: lt for lt in LICENCE_TYPES}
LICENCE_CODES = tuple(lt.code for lt in LICENCE_TYPES)
LICENCE_RECORD_TYPES = ("licence",)
"""Record types that carry a ``licence_type``."""
HOLDING_OUTCOMES = ("granted", "renewed")
"""Outcomes of a licence record after which the enterprise holds the licence."""

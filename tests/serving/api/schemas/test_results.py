"""The plain documents of the hot read paths validate against their response models and
encode exactly as the models do, so the fast path cannot drift from the documented schema."""

from __future__ import annotations

import datetime as dt
import json

import pydantic_core
import pytest

from models.policy.profiles import profile
from serving.api.schemas.results import (
    ClassificationPagePublic,
    ClassificationPublic,
    EnterprisePublic,
    HistoryEntryPublic,
    enterprise_document,
    page_document,
)
from serving.results.rows import Factor, HistoryEntry, ResultRow

PERIOD = dt.date(2025, 12, 31)


def row(number: int, level: str, **changes: object) -> ResultRow:
    fields: dict = dict(
        uscc=f"91410100MA{number:08d}", period=PERIOD, model_score=412.5 + number,
        final_score=750.0 if level == "D" else 412.5 + number, model_level="B",
        risk_level=level, class_label=level, fired_rules=("serious_dishonesty_list",)
        if level == "D" else (), base_points=301.25,
        factors_up=(Factor("penalties_12m", 84.2), Factor("abnormal_list_days", 12.0)),
        factors_down=(Factor("enterprise_age_days", -30.5),), prefecture="410100",
        county="410102", industry_section="C", industry_division="C13",
        domain_tags=("food",), input_fingerprint="f" * 64, model_version="ecr/3",
        rules_version="rules-2026.1")
    return ResultRow(**(fields | changes))


ROWS = [row(1, "A"), row(2, "B", county=None, industry_section=None, factors_up=()),
        row(3, "C", prefecture=None, county=None, factors_down=()), row(4, "D")]


@pytest.mark.parametrize("name", ["henan", "ningxia", "hohhot"])
def test_a_page_document_is_its_model(name: str) -> None:
    jurisdiction = profile(name)
    document = page_document(PERIOD, ROWS, "next", jurisdiction)
    encoded = pydantic_core.to_json(document)
    model = ClassificationPagePublic(period=PERIOD, next_cursor="next", items=[
        ClassificationPublic.of(r, jurisdiction) for r in ROWS])
    assert ClassificationPagePublic.model_validate_json(encoded) == model
    assert json.loads(encoded) == json.loads(model.model_dump_json())
    assert [item["risk_class"]["label"] for item in json.loads(encoded)["items"]] == [
        jurisdiction.levels[i].label for i in range(4)]


def test_an_enterprise_document_is_its_model() -> None:
    jurisdiction = profile()
    history = [HistoryEntry(row(7, level, period=PERIOD - dt.timedelta(days=31 * (3 - i))),
                            "default", "d" * 64) for i, level in enumerate("ABCD")]
    encoded = pydantic_core.to_json(enterprise_document(history[-1], history, jurisdiction))
    model = EnterprisePublic(uscc=history[-1].result.uscc,
                             latest=HistoryEntryPublic.of(history[-1], jurisdiction),
                             history=[HistoryEntryPublic.of(e, jurisdiction) for e in history])
    assert EnterprisePublic.model_validate_json(encoded) == model
    assert json.loads(encoded) == json.loads(model.model_dump_json())

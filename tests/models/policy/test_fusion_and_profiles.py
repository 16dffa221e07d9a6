"""通用+专业 fusion through the matrix, and jurisdiction profiles switched without retraining."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.policy.common import PolicyFileError
from models.policy.judgement import FUSION_ID, judge
from models.policy.profiles import load_profiles, profile, shipped_profiles
from models.policy.rules import parse_rules, shipped_rules
from tests.models.policy.cases import enterprises

NOT_HIGHER = """
version: fusion-test
rules: []
fusion:
  grade_feature: domain_risk_grade
  grades: {A: 1, B: 2, C: 3, D: 4}
  matrix:
    A: [A, A, B, C]
    B: [A, B, B, C]
    C: [B, C, C, D]
    D: [C, D, D, D]
  reason: {zh: 融合, en: fusion}
  basis: test
"""


@pytest.mark.parametrize(("model_score", "grade", "level"), [
    (100.0, 1.0, 0), (100.0, 4.0, 3), (300.0, 3.0, 2), (600.0, 1.0, 2), (800.0, 2.0, 3),
    (300.0, None, 1),
])
def test_shipped_matrix_takes_the_higher_risk(
    model_score: float, grade: float | None, level: int
) -> None:
    judged = judge([model_score], enterprises({"domain_risk_grade": grade}), shipped_rules(),
                   profile())
    assert judged.final_level[0] == level
    column = judged.step_ids.index(FUSION_ID)
    assert judged.fired[0, column] == (grade is not None)
    assert "domain_fusion" in judged.fired_rules()[0].as_py() or grade is None


@pytest.mark.parametrize(("model_score", "grade", "level", "score"), [
    (100.0, 1.0, 0, 100.0),      # A × A → A
    (300.0, 1.0, 0, 199.99),     # B × A → A: the matrix may lower
    (600.0, 1.0, 1, 499.99),     # C × A → B
    (900.0, 1.0, 2, 749.99),     # D × A → C
    (100.0, 4.0, 2, 500.0),      # A × D → C
    (300.0, 2.0, 1, 300.0),      # B × B → B, fired without moving
])
def test_configured_matrix_cases(model_score: float, grade: float, level: int,
                                 score: float) -> None:
    rules = parse_rules(NOT_HIGHER, "fusion.yaml")
    judged = judge([model_score], enterprises({"domain_risk_grade": grade}), rules, profile())
    assert judged.final_level[0] == level
    assert judged.final_score[0] == pytest.approx(score)
    assert judged.points[0, -1] == pytest.approx(score - model_score)
    assert judged.fired_rules()[0].as_py() == [FUSION_ID]


def test_profiles_change_cut_points_and_labels_not_scores() -> None:
    scores = np.array([0.0, 199.99, 200.0, 249.99, 250.0, 499.99, 500.0, 749.99, 750.0, 1000.0])
    table = enterprises(*({} for _ in scores))
    results = {key: judge(scores, table, shipped_rules(), profile(key))
               for key in ("henan", "ningxia", "hohhot")}
    levels = {key: "".join("ABCD"[i] for i in r.final_level) for key, r in results.items()}
    assert levels == {"henan": "AABBBBCCDD", "ningxia": "AAAABBCCDD",
                      "hohhot": "AABBBBCCDD"}
    labels = {key: results[key].to_arrow()["class_label"].to_pylist() for key in results}
    assert "".join(labels["hohhot"]) == "DDCCCCBBAA"
    assert labels["henan"] == list(levels["henan"])
    for result in results.values():
        assert np.array_equal(result.final_score, scores)


def test_a_forced_class_lands_in_the_profile_band() -> None:
    table = enterprises({"abnormal_listed_now": 1})
    assert judge([10.0], table, shipped_rules(), profile("henan")).final_score[0] == 200.0
    assert judge([10.0], table, shipped_rules(), profile("ningxia")).final_score[0] == 250.0


def test_profile_presentation() -> None:
    hohhot = profile("hohhot")
    assert hohhot.levels[3].label == "A" and hohhot.levels[3].colour_name == "红色"
    assert hohhot.describe(0).startswith("D 低风险 / low risk (绿色, 0–199.99")
    assert shipped_profiles().default == "henan" and profile().key == "henan"
    with pytest.raises(PolicyFileError, match="unknown jurisdiction profile 'shandong'"):
        profile("shandong")


def test_invalid_profile_names_the_profile_and_field(tmp_path: Path) -> None:
    text = (Path(__file__).parents[3] / "models/policy/profiles.yaml").read_text("utf-8")
    broken = tmp_path / "profiles.yaml"
    broken.write_text(text.replace("cut_points: [250, 500, 750]", "cut_points: [500, 250, 750]"),
                      encoding="utf-8")
    with pytest.raises(PolicyFileError, match="profile 'ningxia', field '\\(entry\\)': cut "
                                              "points must increase"):
        load_profiles(broken)

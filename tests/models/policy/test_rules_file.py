"""Rules files are validated on load, with messages that name the rule and the field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from models.policy.common import PolicyFileError
from models.policy.judgement import RuleInputError, judge
from models.policy.profiles import profile
from models.policy.rules import load_rules, parse_rules, shipped_rules
from tests.models.policy.cases import enterprises

RULE = """
  - id: {id}
    when: {when}
    action: {action}
    class: {level}
    reason: {{zh: 测试, en: test}}
    basis: test basis
    effective_from: {start}
    effective_to: {end}
"""


def rules_text(**fields: str) -> str:
    values = {"id": "listed", "when": '{feature: abnormal_listed_now, op: "==", value: 1}',
              "action": "floor", "level": "C", "start": "2023-01-01", "end": "null"} | fields
    return "version: 1.0\nrules:\n" + RULE.format(**values)


@pytest.mark.parametrize(("fields", "message"), [
    ({"action": "forse"}, "rule 'listed', field 'action': Input should be 'force', 'floor' "
                          "or 'cap' (found 'forse')"),
    ({"level": "E"}, "rule 'listed', field 'class'"),
    ({"when": "{feature: penalties_99m, op: '>=', value: 1}"},
     "rule 'listed', field 'when': feature 'penalties_99m' is not in the "
     "feature catalog"),
    ({"when": "{feature: penalties_12m, op: '>=', value: many}"},
     "feature 'penalties_12m' (count) compares with numbers, found 'many'"),
    ({"when": "{feature: industry_section, op: '>', value: B}"},
     "feature 'industry_section' is a category: use ==, !=, in or not_in, found '>'"),
    ({"when": "{feature: industry_section, op: in, value: B}"}, "op 'in' expects a list"),
    ({"when": "{every: []}"}, "rule 'listed', field 'when': expected a mapping with one of the "
                               "keys feature, all, any or not"),
    ({"when": "{all: [{feature: penalties_12m, op: '>=', value: 1}, {feature: x, op: missing}]}"},
     "rule 'listed', field 'when.all.1': feature 'x' is not in the feature catalog"),
    ({"start": "2024-01-01", "end": "2023-01-01"},
     "effective_to 2023-01-01 is before effective_from 2024-01-01"),
    ({"id": "Bad Id"}, "rule 'Bad Id', field 'id'"),
])
def test_invalid_rule_names_the_rule_and_field(fields: dict[str, str], message: str) -> None:
    with pytest.raises(PolicyFileError) as error:
        parse_rules(rules_text(**fields), "my-rules.yaml")
    assert str(error.value).startswith("my-rules.yaml: rule")
    assert message in str(error.value)


def test_missing_field_and_duplicate_ids_are_named() -> None:
    text = rules_text().replace("    basis: test basis\n", "")
    with pytest.raises(PolicyFileError, match="rule 'listed', field 'basis': Field required"):
        parse_rules(text, "r.yaml")
    twice = rules_text() + RULE.format(id="listed", when="{feature: age_years, op: missing}",
                                       action="cap", level="B", start="2023-01-01", end="null")
    with pytest.raises(PolicyFileError, match="rule 'listed', field 'id': the id is used"):
        parse_rules(twice, "r.yaml")


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="cannot read"):
        load_rules(tmp_path / "absent.yaml")
    with pytest.raises(PolicyFileError, match="not valid YAML"):
        parse_rules("rules: [", "r.yaml")
    with pytest.raises(PolicyFileError, match="expected a mapping with 'version'"):
        parse_rules("- just a list", "r.yaml")


def test_fusion_matrix_must_be_complete() -> None:
    text = rules_text() + """fusion:
  grade_feature: domain_risk_grade
  grades: {A: 1, B: 2, C: 3, D: 4}
  matrix: {A: [A, B, C, D], B: [B, B, C, D], C: [C, C, C, D]}
  reason: {zh: 融合, en: fusion}
  basis: test
"""
    with pytest.raises(PolicyFileError, match=r"fusion, field '\(entry\)'.*matrix needs one "
                                              "entry for each of A, B, C, D"):
        parse_rules(text, "r.yaml")


def test_version_changes_with_any_edit() -> None:
    first = parse_rules(rules_text(), "r.yaml")
    edited = parse_rules(rules_text(level="D"), "r.yaml")
    assert first.version == edited.version == "1.0"
    assert first.version_id != edited.version_id
    assert first.version_id.startswith("1.0+sha256:")


def test_effective_dates_are_honoured() -> None:
    rules = parse_rules(rules_text(start="2023-01-01", end="2024-06-30"), "r.yaml")
    listed = {"abnormal_listed_now": 1}
    fired = [judge([100.0], enterprises(listed, as_of=day), rules, profile()).fired[0, 0]
             for day in (dt.date(2022, 12, 31), dt.date(2023, 1, 1), dt.date(2024, 6, 30),
                         dt.date(2024, 7, 1))]
    assert fired == [False, True, True, False]
    explicit = judge([100.0], enterprises(listed, as_of=dt.date(2020, 1, 1)), rules, profile(),
                     as_of=dt.date(2023, 5, 1))
    assert explicit.fired[0, 0]


def test_missing_values_never_satisfy_a_comparison() -> None:
    rules = parse_rules(rules_text(when="{not: {feature: age_years, op: '>=', value: 1}}"),
                        "r.yaml")
    judged = judge([100.0, 100.0, 100.0], enterprises(
        {"age_years": None}, {"age_years": 0.5}, {"age_years": 3.0}), rules, profile())
    assert judged.fired[:, 0].tolist() == [True, True, False]  # not(missing ≥ 1) is true
    present = parse_rules(rules_text(when="{feature: age_years, op: '<', value: 1}"), "r.yaml")
    assert judge([100.0], enterprises({"age_years": None}), present, profile()).fired[0, 0] == 0


def test_a_table_without_the_rule_features_or_dates_fails_clearly() -> None:
    table = enterprises({})
    with pytest.raises(RuleInputError, match="rule 'serious_dishonesty_list' needs feature "
                                             "columns the table lacks: serious_dishonesty_now"):
        judge([1.0], table.drop_columns(["serious_dishonesty_now"]), shipped_rules(), profile())
    with pytest.raises(RuleInputError, match="no 'as_of' column"):
        judge([1.0], table.drop_columns(["as_of"]), shipped_rules(), profile())
    bad_grade = table.set_column(table.column_names.index("domain_risk_grade"),
                                 "domain_risk_grade", [[7.0]])
    with pytest.raises(RuleInputError, match=r"expected a domain grade among 1 \(A\).*found 7"):
        judge(np.array([1.0]), bad_grade, shipped_rules(), profile())

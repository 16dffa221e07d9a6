"""Scoring a few enterprises, from supplied rows or from the store by code, equals the batch."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from features.engines import compute_features
from features.enterprise_features import EnterpriseFeatures
from features.store import Store
from models.explain.points import Explainer
from models.policy.profiles import profile
from models.registry import LoadedModel, ModelRegistry
from serving.results.schema import TOP_FACTORS
from serving.results.store import ResultsStore
from serving.use_cases import (
    EnterpriseScore,
    InvalidRequest,
    classify_period,
    explain_enterprise,
    score_enterprises,
    score_feature_rows,
)
from serving.use_cases.score import feature_rows
from tests.conftest import Trained

DECEMBER = dt.date(2025, 12, 31)
UNKNOWN = "91350200776049653A"


@pytest.fixture(scope="module")
def model(trained: Trained) -> LoadedModel:
    return ModelRegistry(trained.tracking_uri).load(trained.model_uri)


@pytest.fixture(scope="module")
def explainer(model: LoadedModel) -> Explainer:
    return Explainer(model.model)


@pytest.fixture(scope="module")
def reader(synthetic_store: Store) -> EnterpriseFeatures:
    return EnterpriseFeatures(synthetic_store)


@pytest.fixture(scope="module")
def province(synthetic_store: Store) -> pa.Table:
    return compute_features(synthetic_store, DECEMBER)


@pytest.fixture(scope="module")
def stored(synthetic_store: Store, model: LoadedModel,
           tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    """What the monthly run publishes for December."""
    folder = tmp_path_factory.mktemp("results")
    results = ResultsStore(f"sqlite:///{folder}/results.db").migrate()
    classify_period(synthetic_store, results, model, DECEMBER, profile())
    return results.published_results(DECEMBER)


def sample(province: pa.Table, stored: pa.Table) -> list[str]:
    """Random enterprises, some with related parties, some that rules moved."""
    rng = np.random.default_rng(3)
    chosen = rng.choice(province["uscc"].to_pylist(), 12, replace=False).tolist()
    linked = province.filter(pc.greater(province["related_enterprises"], 0))
    ruled = stored.filter(pc.not_equal(stored["fired_rules"], ""))
    extra = [*linked["uscc"].to_pylist()[:4], *ruled["uscc"].to_pylist()[:4]]
    return list(dict.fromkeys([*chosen, *extra]))


def top_factors(score: EnterpriseScore) -> tuple[list[str], list[str]]:
    assert score.explanation is not None
    lines = score.explanation.features
    up = sorted((line for line in lines if line.points > 0), key=lambda line: -line.points)
    down = sorted((line for line in lines if line.points < 0), key=lambda line: line.points)
    return [line.key for line in up[:TOP_FACTORS]], [line.key for line in down[:TOP_FACTORS]]


def test_scores_from_the_store_equal_the_published_period(
        reader: EnterpriseFeatures, model: LoadedModel, explainer: Explainer,
        province: pa.Table, stored: pa.Table) -> None:
    usccs = sample(province, stored)
    assert any(stored.filter(pc.is_in(stored["uscc"], pa.array(usccs)))["fired_rules"]
               .to_pylist())
    with reader.store.connect() as connection:
        gone = connection.execute(
            "SELECT uscc FROM enterprises WHERE deregistered_on <= ? LIMIT 1",
            [DECEMBER]).fetchone()[0]  # closed by December
    assert gone not in province["uscc"].to_pylist()
    asked = [usccs[0], gone, *usccs[1:], UNKNOWN]
    scored = score_enterprises(reader, model, asked, DECEMBER, profile(), explain=True,
                               explainer=explainer)
    assert scored.missing == (gone, UNKNOWN)
    assert [s.uscc for s in scored.items] == usccs
    assert (scored.as_of, scored.model_version, scored.rules_version) == (
        DECEMBER, model.version, model.rules_version)
    published = {row["uscc"]: row for row in stored.to_pylist()}
    for score in scored.items:
        row = published[score.uscc]
        assert score.model_score == pytest.approx(row["model_score"], abs=1e-9)
        assert score.final_score == pytest.approx(row["final_score"], abs=1e-9)
        assert (score.model_level, score.risk_level, score.class_label) == (
            row["model_level"], row["risk_level"], row["class_label"])
        assert ";".join(r.rule_id for r in score.fired_rules) == row["fired_rules"]
        up, down = top_factors(score)
        assert up == [row[f"factor_up_{k}"] for k in range(1, len(up) + 1)]
        assert down == [row[f"factor_down_{k}"] for k in range(1, len(down) + 1)]
        explanation = score.explanation
        assert explanation is not None and explanation.base_points == pytest.approx(
            row["base_points"], abs=1e-9)
        total = (explanation.base_points + sum(line.points for line in explanation.features)
                 + sum(line.points for line in explanation.rules))
        assert total == pytest.approx(score.final_score, abs=1e-6)
        assert sum(r.points for r in score.fired_rules) == pytest.approx(
            score.final_score - score.model_score, abs=1e-6)
        assert score.colour == profile().levels["ABCD".index(score.risk_level)].colour


def test_fired_rules_carry_reasons_basis_and_whether_they_bound(
        reader: EnterpriseFeatures, model: LoadedModel, stored: pa.Table) -> None:
    listed = stored.filter(pc.match_substring(stored["fired_rules"],
                                              "serious_dishonesty_list"))
    uscc = listed["uscc"][0].as_py()
    [score] = score_enterprises(reader, model, [uscc], None, profile(), explain=False).items
    assert score.explanation is None and score.risk_level == "D"
    rule = next(r for r in score.fired_rules if r.rule_id == "serious_dishonesty_list")
    assert rule.reason_zh and rule.reason_en and rule.basis
    assert all(r.bound == (r.points != 0) for r in score.fired_rules)
    assert any(r.bound for r in score.fired_rules) == (score.final_score != score.model_score)


def test_the_as_of_date_defaults_to_the_data_end(
        reader: EnterpriseFeatures, model: LoadedModel, province: pa.Table) -> None:
    uscc = province["uscc"][0].as_py()
    latest = score_enterprises(reader, model, [f" {uscc.lower()}"], None, profile(),
                               explain=False)
    assert latest.as_of == reader.data_end
    assert [s.uscc for s in latest.items] == [uscc]


@pytest.mark.parametrize(("usccs", "message"), [
    ([], r"usccs: expected 1 to 10,000 enterprises, found 0"),
    (["91350200776049653B"], r"usccs: 1 malformed codes: '91350200776049653B': expected "
                             r"check character"),
    (["9135"], r"'9135': expected 18 characters, found 4"),
    ([UNKNOWN, f" {UNKNOWN.lower()} "], rf"expected each code once, found repeated {UNKNOWN}"),
    (UNKNOWN, "expected a list of codes"),
])
def test_malformed_requests_are_refused_naming_them(
        reader: EnterpriseFeatures, model: LoadedModel, usccs: list[str], message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        score_enterprises(reader, model, usccs, DECEMBER, profile(), explain=False)


def test_a_date_outside_the_data_is_refused(
        reader: EnterpriseFeatures, model: LoadedModel) -> None:
    with pytest.raises(InvalidRequest, match="as_of 2031-01-01 is after the store's data"):
        score_enterprises(reader, model, [UNKNOWN], dt.date(2031, 1, 1), profile(),
                          explain=False)


def test_supplied_rows_score_like_the_store(
        reader: EnterpriseFeatures, model: LoadedModel, explainer: Explainer,
        province: pa.Table) -> None:
    rows = province.slice(0, 5)
    from_rows = score_feature_rows(model, rows, profile(), explain=True, explainer=explainer,
                                   as_of=DECEMBER)
    from_store = score_enterprises(reader, model, rows["uscc"].to_pylist(), DECEMBER,
                                   profile(), explain=True, explainer=explainer).items
    assert [s.uscc for s in from_rows] == rows["uscc"].to_pylist()
    for a, b in zip(from_rows, from_store, strict=True):
        assert a.final_score == pytest.approx(b.final_score, abs=1e-9)
        assert (a.class_label, a.as_of) == (b.class_label, b.as_of)
        assert [r.rule_id for r in a.fired_rules] == [r.rule_id for r in b.fired_rules]
    # without a uscc column, and rules dated by the rows' own as_of column
    anonymous = score_feature_rows(model, rows.drop_columns(["uscc"]), profile(),
                                   explain=False)
    assert [s.uscc for s in anonymous] == [None] * 5
    assert [s.as_of for s in anonymous] == [DECEMBER] * 5
    assert [s.final_score for s in anonymous] == [s.final_score for s in from_rows]


def test_supplied_rows_are_refused_naming_the_column(
        model: LoadedModel, province: pa.Table) -> None:
    rows = province.slice(0, 3)
    feature = model.model.spec.names[0]
    numeric = next(n for n in model.model.spec.names if n not in model.model.spec.levels
                   and n.endswith("_36m"))
    cases = [
        (rows.drop_columns([feature]), f"expected feature columns {feature}; not found"),
        (rows.append_column("colour_of_door", pa.array(["red"] * 3)),
         "unknown columns colour_of_door"),
        (rows.set_column(rows.column_names.index(numeric), numeric,
                         pa.array(["1", "2", "x"])),
         rf"column '{numeric}': expected numbers, found string \(row 1: '1'\)"),
        (rows.set_column(rows.column_names.index(numeric), numeric,
                         pa.array([1, -2, 3], pa.int64())),
         rf"row 2, column '{numeric}': expected a number ≥ 0"),
        (rows.drop_columns(["as_of"]), "rules need the date they apply at"),
        (rows.slice(0, 0), "rows: expected 1 to 10,000 enterprises, found 0"),
    ]
    for table, message in cases:
        with pytest.raises(InvalidRequest, match=message):
            score_feature_rows(model, table, profile(), explain=False)


def test_supplied_json_rows_mixing_a_date_and_nan_are_refused_naming_the_column() -> None:
    """JSON's NaN beside a date made Arrow raise a bare ValueError (a 500 over HTTP)."""
    rows = [{"as_of": "2025-06-30"}, {"as_of": float("nan")}]
    with pytest.raises(InvalidRequest, match="column 'as_of' mixes date, float values"):
        feature_rows(rows)


def test_explain_enterprise_through_a_reader_equals_the_one_off_path(
        synthetic_store: Store, reader: EnterpriseFeatures, model: LoadedModel,
        explainer: Explainer, province: pa.Table, tmp_path: Path) -> None:
    uscc = province.filter(pc.greater(province["related_enterprises"], 0))["uscc"][0].as_py()
    held = explain_enterprise(synthetic_store, model, uscc, DECEMBER, profile(), explainer,
                              features=reader)
    scanned = explain_enterprise(synthetic_store, model, uscc, DECEMBER, profile(), explainer)
    assert held.final_score == pytest.approx(scanned.final_score, abs=1e-9)
    assert [line.key for line in held.features] == [line.key for line in scanned.features]

"""An enterprise's facts for its page: registration from the store version the service
holds, recent records known at the date, inspections, and the rules' legal bases; the model
card read from the training run."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
import pytest

from features.enterprise_directory import EnterpriseDirectory
from features.enterprise_features import EnterpriseFeatures
from features.store import Store
from models.explain.explanation import Explanation, Line
from models.policy.profiles import profile
from models.registry import LoadedModel, ModelRegistry
from serving.use_cases import InvalidRequest, NotFound, Scope
from serving.use_cases.facts import enterprise_facts, rule_bases
from serving.use_cases.model_card import METRICS, model_card
from tests.conftest import Trained

AS_OF = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def reader(synthetic_store: Store) -> EnterpriseFeatures:
    return EnterpriseFeatures(synthetic_store)


@pytest.fixture(scope="module")
def directory(synthetic_store: Store) -> EnterpriseDirectory:
    return EnterpriseDirectory(synthetic_store)


def busiest(synthetic_store: Store) -> dict:
    table = pq.read_table(synthetic_store.table_path("records"), columns=["uscc"])
    counts = table.group_by("uscc").aggregate([("uscc", "count")]).sort_by(
        [("uscc_count", "descending")])
    uscc = counts["uscc"][0].as_py()
    enterprises = pq.read_table(synthetic_store.table_path("enterprises")).to_pylist()
    return next(e for e in enterprises if e["uscc"] == uscc)


def test_the_facts_of_an_enterprise(reader: EnterpriseFeatures, directory: EnterpriseDirectory,
                                    synthetic_store: Store) -> None:
    row = busiest(synthetic_store)
    facts = enterprise_facts(reader, directory, row["uscc"].lower(), AS_OF, Scope(), 5)
    assert (facts.uscc, facts.name, facts.region_code) == (row["uscc"], row["name"],
                                                           row["region_code"])
    assert facts.enterprise_type == row["enterprise_type"]
    assert facts.established_on == row["established_on"]
    assert facts.age_years == round((AS_OF - row["established_on"]).days / 365.25, 1)
    records = pq.read_table(synthetic_store.table_path("records")).to_pylist()
    known = [r for r in records if r["uscc"] == row["uscc"] and r["occurred_on"] <= AS_OF
             and r["collected_on"] <= AS_OF]
    assert facts.records_known == len(known) > 5 and len(facts.records) == 5
    dates = [r.occurred_on for r in facts.records]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == max(r["occurred_on"] for r in known)
    assert facts.records[0].type_zh and facts.records[0].type_en
    assert list(facts.inspections) == sorted(r["occurred_on"] for r in known
                                             if r["record_type"] == "spot_check")
    early = enterprise_facts(reader, directory, row["uscc"], dt.date(2024, 1, 31), Scope(), 0)
    assert early.records == () and early.records_known < facts.records_known


def test_facts_keep_to_the_scope_and_refuse_bad_arguments(
        reader: EnterpriseFeatures, directory: EnterpriseDirectory,
        synthetic_store: Store) -> None:
    row = busiest(synthetic_store)
    other = "4101" if not row["region_code"].startswith("4101") else "4103"
    with pytest.raises(NotFound, match="no enterprise with this code"):
        enterprise_facts(reader, directory, row["uscc"], AS_OF, Scope(other))
    with pytest.raises(NotFound):
        enterprise_facts(reader, directory, "91410100MA0000000X", AS_OF, Scope())
    with pytest.raises(InvalidRequest, match="records"):
        enterprise_facts(reader, directory, row["uscc"], AS_OF, Scope(), 1000)
    assert enterprise_facts(reader, directory, row["uscc"], AS_OF,
                            Scope(row["region_code"][:4])).uscc == row["uscc"]


@pytest.fixture(scope="module")
def loaded(trained: Trained) -> LoadedModel:
    return ModelRegistry(trained.tracking_uri).load(trained.model_uri)


def test_rule_lines_carry_the_rules_legal_basis(loaded: LoadedModel) -> None:
    rules = loaded.model.rules
    rule = next(r for r in rules.rules if r.basis)
    lines = [Line("rule", rule.id, "", "", 10.0), Line("fusion", "fusion", "", "", 0.0)]
    explanation = Explanation("91410100MA00000001", AS_OF, 300.0, [], lines, 300.0, 310.0,
                              "B", "B", profile(), rules.version_id)
    assert rule_bases(loaded, explanation) == {rule.id: rule.basis}


def test_the_model_card_comes_from_the_training_run(loaded: LoadedModel,
                                                    trained: Trained) -> None:
    registry = ModelRegistry(trained.tracking_uri)
    card = model_card(registry, loaded)
    assert card.version == loaded.version and card.run_id == loaded.run_id
    run = registry.client.get_run(loaded.run_id).data.metrics
    model = card.metrics[0]
    assert model.label == "model" and set(model.values) <= set(METRICS)
    assert model.values["roc_auc"] == run["test_roc_auc"]
    assert [c.level for c in card.classes] == list("ABCD")
    assert sum(c.share or 0 for c in card.classes) == pytest.approx(1)
    assert {d[0] for d in card.dimensions} <= {"basic", "dynamic", "supervision", "related",
                                               "social", "data_quality"}
    assert card.dimensions and all(d[3] >= 0 for d in card.dimensions)
    assert model_card(registry, loaded) is card  # a finished run is read once
    bare = LoadedModel(loaded.model, loaded.uri, loaded.version, None)
    assert model_card(registry, bare).metrics == ()

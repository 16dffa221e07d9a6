"""Repair guidance (修复指引): which facts have a lawful way out, how the records look after
it, and the scores — checked against an independent path: the amended records written to a
copy of the store, their features computed by scanning it, scored by the same use case."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from features.contract import TABLES
from features.enterprise_features import COLUMNS, EnterpriseFeatures, features_of
from features.reference.record_types import REPAIRABLE_TYPES
from features.store import Store
from models.policy.profiles import profile
from models.registry import LoadedModel, ModelRegistry
from serving.use_cases import InvalidRequest, NotFound, Scope, score_feature_rows
from serving.use_cases.repair import Fact, amended, current_facts, repair_guidance
from tests.conftest import Trained

AS_OF = dt.date(2025, 12, 31)
DAY = dt.date(2025, 6, 1)


def records(*rows: dict) -> pa.Table:
    schema = TABLES["records"].arrow_schema()
    fields = [schema.field(c).with_nullable(True) for c in COLUMNS["records"]]
    full = [{c: None for c in COLUMNS["records"]} | {"uscc": "91410100MA00000001",
                                                     "occurred_on": DAY, "collected_on": DAY}
            | row for row in rows]
    return pa.Table.from_pylist(full, schema=pa.schema(fields))


def test_facts_are_records_that_still_count_and_have_a_way_out() -> None:
    table = records(
        {"record_type": "administrative_penalty", "severity": 2},                    # 0 repair
        {"record_type": "administrative_penalty", "repaired_on": dt.date(2025, 7, 1)},  # 1 done
        {"record_type": "administrative_penalty", "repaired_on": dt.date(2026, 2, 1)},  # 2 later
        {"record_type": "abnormal_operation", "occurred_on": dt.date(2025, 8, 1)},   # 3 removal
        {"record_type": "abnormal_operation", "removed_on": dt.date(2025, 9, 1)},    # 4 removed
        {"record_type": "dishonest_debtor", "occurred_on": dt.date(2025, 3, 1)},     # 5 removal
        {"record_type": "credit_commitment", "outcome": "pending"},                  # 6 keep
        {"record_type": "credit_commitment", "outcome": "broken"},                   # 7 no way
        {"record_type": "administrative_penalty", "revoked_on": dt.date(2025, 7, 1)},  # 8 gone
        {"record_type": "administrative_penalty", "collected_on": dt.date(2026, 1, 9),
         "occurred_on": dt.date(2025, 12, 30)},                                      # 9 unknown
        {"record_type": "honour"},                                                   # 10 none
    )
    facts = current_facts(table, AS_OF)
    assert [(f.position, f.route) for f in facts] == [  # newest first, then by position
        (3, "list_removal"), (6, "commitment_kept"), (2, "credit_repair"),
        (0, "credit_repair"), (5, "list_removal")]
    assert facts[3].type_zh == "行政处罚" and facts[3].severity == 2
    assert facts[0].route_zh == "移出名单" and facts[1].route_en == "commitment kept"


def test_routes_amend_the_records_as_the_law_leaves_them() -> None:
    table = records({"record_type": "serious_dishonesty"}, {"record_type": "dishonest_debtor"},
                    {"record_type": "administrative_penalty"},
                    {"record_type": "credit_commitment", "outcome": "pending"})
    facts = tuple(current_facts(table, AS_OF))
    after = amended(table, facts, AS_OF).to_pylist()
    assert (after[0]["removed_on"], after[0]["repaired_on"]) == (AS_OF, AS_OF)  # a repairable list
    assert (after[1]["removed_on"], after[1]["repaired_on"]) == (AS_OF, None)
    assert (after[2]["removed_on"], after[2]["repaired_on"]) == (None, AS_OF)
    assert after[3]["outcome"] == "kept"
    assert current_facts(amended(table, facts, AS_OF), AS_OF) == []
    assert table.to_pylist()[0]["removed_on"] is None  # the input is left as it was


@pytest.fixture(scope="module")
def reader(synthetic_store: Store) -> EnterpriseFeatures:
    return EnterpriseFeatures(synthetic_store)


@pytest.fixture(scope="module")
def loaded(trained: Trained) -> LoadedModel:
    return ModelRegistry(trained.tracking_uri).load(trained.model_uri)


def with_facts(reader: EnterpriseFeatures, synthetic_store: Store, least: int) -> list[str]:
    codes = pq.read_table(synthetic_store.table_path("enterprises"),
                          columns=["uscc"])["uscc"].to_pylist()
    alive = set(reader.compute(codes, AS_OF).table["uscc"].to_pylist())
    return [c for c in codes
            if c in alive and len(current_facts(reader.records_of(c), AS_OF)) >= least]


def test_amending_nothing_computes_the_same_features(reader: EnterpriseFeatures,
                                                     synthetic_store: Store) -> None:
    uscc = with_facts(reader, synthetic_store, 1)[0]
    same = reader.compute_amended(uscc, AS_OF, lambda own: own).table
    assert same.equals(reader.compute([uscc], AS_OF).table)
    own = reader.records_of(uscc)
    assert own.num_rows and set(own["uscc"].to_pylist()) == {uscc}
    assert reader.records_of("91410100MA0000000X").num_rows == 0
    assert reader.enterprise(uscc)["uscc"] == uscc and reader.enterprise("x" * 18) is None
    assert reader.region_codes(["91410100MA0000000X"]) == {}  # none held: no error


def _rescored_from_a_store(tmp_path: Path, synthetic_store: Store, reader: EnterpriseFeatures,
                           uscc: str, facts: tuple[Fact, ...], loaded: LoadedModel) -> float:
    """The enterprise's score with the facts' records amended in a copy of the store."""
    copy = Store(tmp_path / "store")
    shutil.copytree(synthetic_store.root, copy.root)
    path = copy.table_path("records")
    table = pq.read_table(path)
    mine = pc.equal(table["uscc"], uscc)
    own = table.filter(mine)
    order = own.to_pylist()
    reader_rows = reader.records_of(uscc).to_pylist()  # positions are the reader's
    picked = []
    for fact in facts:
        wanted = reader_rows[fact.position]
        picked.append(next(i for i, r in enumerate(order) if all(
            r[c] == wanted[c] for c in COLUMNS["records"]) and i not in picked))
    for fact, i in zip(facts, picked, strict=True):
        if fact.route == "commitment_kept":
            order[i]["outcome"] = "kept"
        else:
            if fact.route == "list_removal":
                order[i]["removed_on"] = AS_OF
            if fact.record_type in REPAIRABLE_TYPES:
                order[i]["repaired_on"] = AS_OF
    rest = table.filter(pc.invert(mine))
    pq.write_table(pa.concat_tables([rest, pa.Table.from_pylist(order, schema=table.schema)]),
                   path)
    rows = features_of(copy, [uscc], AS_OF).table
    return score_feature_rows(loaded, rows, profile(), explain=False, as_of=AS_OF)[0].final_score


def test_guidance_rescoring_equals_an_amended_store(
        reader: EnterpriseFeatures, loaded: LoadedModel, synthetic_store: Store,
        tmp_path: Path) -> None:
    codes = with_facts(reader, synthetic_store, 2)
    assert codes, "the synthetic province has enterprises with two facts or more"
    guidance = repair_guidance(reader, loaded, profile(), codes[0], AS_OF, Scope())
    features = reader.compute([codes[0]], AS_OF).table
    now = score_feature_rows(loaded, features, profile(), explain=False, as_of=AS_OF)[0]
    assert guidance.current.final_score == now.final_score
    together = [o for o in guidance.options if len(o.facts) > 1]
    assert len(together) == 1 and len(together[0].facts) == len(guidance.facts)
    expected = _rescored_from_a_store(tmp_path, synthetic_store, reader, codes[0],
                                      together[0].facts, loaded)
    assert together[0].final_score == pytest.approx(expected, abs=1e-6)
    for option in guidance.options:
        assert option.change == pytest.approx(option.final_score - now.final_score)
        assert option.lowers_class == ("ABCD".index(option.risk_level)
                                       < "ABCD".index(now.risk_level))
        if len(option.facts) == 1:
            assert option.change < 0


def test_some_repair_lowers_a_class_in_the_province(
        reader: EnterpriseFeatures, loaded: LoadedModel, synthetic_store: Store) -> None:
    lowered = []
    for uscc in with_facts(reader, synthetic_store, 1)[:60]:
        guidance = repair_guidance(reader, loaded, profile(), uscc, AS_OF, Scope(), limit=3)
        lowered += [o for o in guidance.options if o.lowers_class]
        if lowered:
            break
    assert lowered and all(o.final_score < o.final_score - o.change for o in lowered)


def test_guidance_refuses_outside_the_scope_and_bad_arguments(
        reader: EnterpriseFeatures, loaded: LoadedModel, synthetic_store: Store) -> None:
    uscc = with_facts(reader, synthetic_store, 1)[0]
    region = reader.enterprise(uscc)["region_code"]
    elsewhere = "4190" if not region.startswith("4190") else "4101"
    with pytest.raises(NotFound, match="no enterprise with this code"):
        repair_guidance(reader, loaded, profile(), uscc, AS_OF, Scope(elsewhere))
    with pytest.raises(NotFound):
        repair_guidance(reader, loaded, profile(), "91410100MA0000000X", AS_OF, Scope())
    with pytest.raises(InvalidRequest, match="limit"):
        repair_guidance(reader, loaded, profile(), uscc, AS_OF, Scope(), limit=0)
    with pytest.raises(InvalidRequest):
        repair_guidance(reader, loaded, profile(), uscc, dt.date(2001, 1, 31), Scope())
    inside = repair_guidance(reader, loaded, profile(), uscc, AS_OF, Scope(region[:4]))
    assert inside.uscc == uscc and inside.considered <= 12

"""The inspection items catalogue: the shipped file loads, agrees with the synthetic
province's tasks and roster codes, refuses bad files naming the item and field, and matches
items to enterprises ("进一次门、查多项事")."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.policy.common import PolicyFileError
from serving.sampling.catalogue import EnterpriseFacts, load_catalogue, shipped_catalogue
from synthetic.params import INSPECTION_TASKS
from synthetic.roster import item_codes


def test_the_shipped_catalogue_covers_the_synthetic_tasks_and_their_codes() -> None:
    catalogue = shipped_catalogue()
    assert catalogue.label.startswith(catalogue.version + "+")
    for index, task in enumerate(INSPECTION_TASKS):
        assert catalogue.task(task.code).items == tuple(item_codes(index))
        for code, name in zip(item_codes(index), task.items, strict=True):
            assert catalogue.item(code).name == name
            assert catalogue.item(code).department == task.department


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "items.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """version: "t1"
items:
  - {code: A-01, name: 登记事项, department: SCJG}
  - {code: F-01, name: 食品经营许可, department: SCJG, applies_to: {domain_tags: [food]}}
  - {code: L-01, name: 许可条件, department: SCJG, applies_to: {licence_types: [food_business]}}
tasks:
  - {code: T, name: {zh: 检查, en: check}, items: [A-01, F-01, L-01]}
"""


@pytest.mark.parametrize(("change", "expected"), [
    (("domain_tags: [food]", "domain_tags: [fod]"), "item 'F-01' (items[1]), field "
                                                     "'applies_to.domain_tags'"),
    (("sections: []", ""), None),
    (("department: SCJG}\n  - {code: F-01", "department: scjg}\n  - {code: F-01"),
     "item 'A-01' (items[0]), field 'department'"),
    (("items: [A-01, F-01, L-01]", "items: [A-01, X-09]"), "task 'T', field 'items'"),
    (("[food_business]", "[food_busines]"), "item 'L-01' (items[2]), field "
                                            "'applies_to.licence_types'"),
    (("[food_business]", "[food_business, 食品经营许可]"), "expected licence types from "
                                                        "food_business"),
    (("{code: F-01,", "{code: A-01,"), "item 'A-01' (items[1]), field 'code'"),
    (("{domain_tags: [food]}", "{divisions: [C99]}"), "field 'applies_to.divisions'"),
    (("{domain_tags: [food]}", "{colour: red}"), "field 'applies_to.colour'"),
])
def test_a_bad_catalogue_names_the_item_and_field(tmp_path: Path, change: tuple[str, str],
                                                  expected: str | None) -> None:
    text = GOOD.replace(*change)
    if expected is None:
        assert load_catalogue(write(tmp_path, text)).task("T")
        return
    with pytest.raises(PolicyFileError) as caught:
        load_catalogue(write(tmp_path, text))
    assert expected in str(caught.value)


def test_an_edited_file_has_another_version_label(tmp_path: Path) -> None:
    first = load_catalogue(write(tmp_path, GOOD)).label
    assert load_catalogue(write(tmp_path, GOOD + "# a comment\n")).label != first


def test_a_target_gets_every_applicable_item_of_its_task() -> None:
    catalogue = shipped_catalogue()
    joint = catalogue.task("JOINT-FOOD")
    food_company = EnterpriseFacts("H", "H62", "limited_liability", ("food",),
                                   ("food_business",))
    food_stall = EnterpriseFacts("H", "H62", "individual_business", ("food",),
                                 ("food_business", "other"))
    unlicensed = EnterpriseFacts("H", "H62", "individual_business", ("food",))
    shop = EnterpriseFacts("F", "F52", "individual_business", ())
    assert catalogue.applicable(joint, food_company) == (
        "GEN-01", "GEN-02", "FOOD-01", "FOOD-02", "FOOD-03", "LABOR-01")
    assert catalogue.applicable(joint, food_stall) == (
        "GEN-01", "GEN-02", "FOOD-01", "FOOD-02", "FOOD-03")
    assert catalogue.applicable(joint, unlicensed) == (  # no food business licence to check
        "GEN-01", "GEN-02", "FOOD-02", "FOOD-03")
    assert catalogue.applicable(catalogue.task("FOOD"), shop) == ()  # outside FOOD's population
    env = catalogue.task("JOINT-SAFE")
    assert catalogue.applicable(env, EnterpriseFacts("D", "D44", "joint_stock", (),
                                                     ("pollutant_discharge",))) == (
        "ENV-01", "ENV-02")
    assert catalogue.applicable(env, EnterpriseFacts("D", "D44", "joint_stock", ())) == (
        "ENV-02",)
    assert catalogue.applicable(env, EnterpriseFacts("E", "E47", "joint_stock", ())) == (
        "SAFE-01", "SAFE-02")
    assert catalogue.departments(["FOOD-01", "LABOR-01"]) == ("RS", "SCJG")


def test_an_item_asking_for_a_licence_applies_to_its_holders_only() -> None:
    catalogue = shipped_catalogue()
    speq = catalogue.task("SPEQ")
    holder = EnterpriseFacts("C", "C34", "limited_liability", ("special_equipment",),
                             ("special_equipment_use",))
    without = EnterpriseFacts("C", "C34", "limited_liability", ("special_equipment",),
                              ("industrial_product_production",))
    assert catalogue.applicable(speq, holder) == ("SPEQ-01", "SPEQ-02", "SPEQ-03", "SPEQ-04")
    assert catalogue.applicable(speq, without) == ("SPEQ-02", "SPEQ-03", "SPEQ-04")
    assert catalogue.asks_licences(speq) and not catalogue.asks_licences(catalogue.task("GEN"))
    # a licence holder outside the domain's tags is still inspected on its licence
    trader = EnterpriseFacts("F", "F51", "limited_liability", (), ("food_business",))
    assert catalogue.applicable(catalogue.task("FOOD"), trader) == ("FOOD-01",)

"""Data tests of the synthetic province generator (small sizes, seconds)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from features.contract import ENTERPRISE_STATUSES, INSPECTION_RESULTS, TABLES
from features.reference import divisions, industries, uscc
from features.reference.licences import LICENCE_CODES
from features.reference.record_types import BY_CODE, LIST_TYPES, RECORD_TYPES, REPAIRABLE_TYPES
from synthetic import HIDDEN_FILE, SynthSummary, generate
from synthetic.params import DEPARTMENTS
from synthetic.writer import stringify

SMALL = {"enterprises": 600, "months": 12, "seed": 5, "end_month": "2024-06"}


def _read(directory: Path, name: str, fmt: str = "parquet") -> pl.DataFrame:
    path = directory / f"{name}.{fmt}"
    if fmt == "parquet":
        return pl.read_parquet(path)
    if fmt == "csv":
        return pl.read_csv(path, infer_schema=False)
    return pl.read_ndjson(path, infer_schema_length=None)


@pytest.fixture(scope="module")
def moderate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("moderate")
    return out, generate(out, enterprises=3000, months=24, seed=11)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("small")
    return out, generate(out, **SMALL)


def _bytes(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_same_seed_gives_identical_bytes(small: tuple[Path, SynthSummary], tmp_path: Path) -> None:
    first, summary = small
    again = generate(tmp_path, **SMALL)
    assert again == summary
    assert _bytes(tmp_path) == _bytes(first)


def test_different_seed_gives_different_data(small: tuple[Path, SynthSummary],
                                             tmp_path: Path) -> None:
    first, _ = small
    generate(tmp_path, **{**SMALL, "seed": 6})
    for name in TABLES:
        assert (tmp_path / f"{name}.parquet").read_bytes() != (
            first / f"{name}.parquet").read_bytes()


def test_clean_parquet_schema_equals_contract(moderate: tuple[Path, SynthSummary]) -> None:
    out, summary = moderate
    for name, table in TABLES.items():
        schema = pq.read_schema(out / f"{name}.parquet")
        assert schema.equals(table.arrow_schema(), check_metadata=False), name
        assert pq.read_metadata(out / f"{name}.parquet").num_rows == summary.rows[name]
    assert summary.dirty_rows == dict.fromkeys(TABLES, 0)
    hidden = pl.read_parquet(out / HIDDEN_FILE)
    assert hidden.columns == ["uscc", "hidden_risk", "base_risk"]
    assert hidden.height == summary.rows["enterprises"]


def test_required_columns_are_filled(moderate: tuple[Path, SynthSummary]) -> None:
    out, _ = moderate
    for name, table in TABLES.items():
        df = _read(out, name)
        assert df.columns == table.column_names
        for column in table.required_columns:
            assert df[column].null_count() == 0, (name, column)


def test_codes_are_valid(moderate: tuple[Path, SynthSummary]) -> None:
    out, _ = moderate
    ent = _read(out, "enterprises")
    assert uscc.check_codes(ent["uscc"].to_arrow()).all()
    assert ent["uscc"].n_unique() == ent.height
    henan = set(divisions.prefectures("41"))
    for code in ent["region_code"].unique():
        assert divisions.is_division(code) and divisions.prefecture_of(code) in henan, code
    assert all(industries.industry_problem(c) is None for c in ent["industry_code"].unique())
    assert set(ent["status"].unique()) <= set(ENTERPRISE_STATUSES)
    assert set(ent["enterprise_type"].unique()) == set(TABLES["enterprises"].column(
        "enterprise_type").description.removeprefix("One of: ").split(", "))
    operating = ent["status"] == "operating"
    assert ent.filter(operating)["deregistered_on"].null_count() == int(operating.sum())
    ended = ent.filter(~operating)
    assert ended["deregistered_on"].null_count() == 0
    assert (ended["deregistered_on"] >= ended["established_on"]).all()
    for name in ("records", "relations", "inspections"):
        df = _read(out, name)
        assert uscc.check_codes(df["uscc"].to_arrow()).all(), name
        assert df["uscc"].is_in(ent["uscc"].implode()).all(), name
    rel = _read(out, "relations")
    investors = rel.filter(pl.col("party_kind") == "enterprise")
    assert investors.height > 0 and uscc.check_codes(investors["party_id"].to_arrow()).all()
    assert (rel["ended_on"].is_null() | (rel["ended_on"] >= rel["started_on"])).all()


def test_natural_keys_are_unique(moderate: tuple[Path, SynthSummary]) -> None:
    out, _ = moderate
    for name, table in TABLES.items():
        df = _read(out, name)
        assert df.select(table.key).is_duplicated().sum() == 0, name


def test_records_respect_the_contract(moderate: tuple[Path, SynthSummary]) -> None:
    out, summary = moderate
    rec = _read(out, "records")
    assert set(rec["record_type"].unique()) == {rt.code for rt in RECORD_TYPES}
    assert (rec["collected_on"] >= rec["occurred_on"]).all()
    assert (rec["collected_on"] <= summary.period_end).all()
    for column in ("removed_on", "repaired_on", "revoked_on"):
        dated = rec.filter(pl.col(column).is_not_null())
        assert (dated[column] >= dated["occurred_on"]).all(), column
        assert (dated[column] <= summary.period_end).all(), column
    assert rec.filter(pl.col("removed_on").is_not_null())["record_type"].is_in(
        list(LIST_TYPES)).all()
    assert rec.filter(pl.col("repaired_on").is_not_null())["record_type"].is_in(
        list(REPAIRABLE_TYPES)).all()
    for code, group in rec.group_by("record_type"):
        rt = BY_CODE[code[0]]
        if rt.outcomes:
            assert group["outcome"].null_count() == 0, rt.code
            assert group["outcome"].is_in(list(rt.outcomes)).all(), rt.code
        else:
            assert group["outcome"].null_count() == group.height, rt.code
        assert rt.has_severity or group["severity"].null_count() == group.height, rt.code
        assert rt.has_amount or group["amount"].null_count() == group.height, rt.code
        if rt.needs_domain:
            assert group["domain"].null_count() == 0, rt.code
    assert rec["severity"].drop_nulls().is_in([1, 2, 3]).all()
    assert (rec["amount"].drop_nulls() >= 0).all()
    revoked = rec["revoked_on"].is_not_null().mean()
    assert 0 < revoked < 0.01
    assert rec.select(pl.col("collected_on"), pl.col("record_id")).equals(
        rec.select("collected_on", "record_id").sort("collected_on", "record_id"))


def test_collection_delays_are_mostly_within_a_week(moderate: tuple[Path, SynthSummary]) -> None:
    out, _ = moderate
    rec = _read(out, "records")
    days = (rec["collected_on"] - rec["occurred_on"]).dt.total_days()
    assert days.quantile(0.5) <= 9
    assert 0.01 < (days > 28).mean() < 0.15


def test_inspections_match_spot_check_records(moderate: tuple[Path, SynthSummary]) -> None:
    out, _ = moderate
    insp = _read(out, "inspections")
    assert insp["result"].is_in(list(INSPECTION_RESULTS)).all()
    assert (insp["items"].list.len() >= 1).all()
    checks = _read(out, "records").filter(pl.col("record_type") == "spot_check")
    checks = checks.with_columns(
        pl.col("details").str.json_path_match("$.draw_id").alias("draw_id"))
    joined = checks.join(insp, on=["draw_id", "uscc"], how="left")
    assert joined["result"].null_count() == 0
    assert (joined["result"] == joined["outcome"]).all()
    assert (joined["inspected_on"] == joined["occurred_on"]).all()
    assert (joined["department"] == joined["department_right"]).all()


def test_licence_records_name_a_licence_of_their_enterprises_trade(
        moderate: tuple[Path, SynthSummary]) -> None:
    out, _ = moderate
    rec = _read(out, "records")
    licences = rec.filter(pl.col("record_type") == "licence")
    assert licences["licence_type"].null_count() == 0
    assert licences["licence_type"].is_in(list(LICENCE_CODES)).all()
    assert rec.filter(pl.col("record_type") != "licence")["licence_type"].null_count() == (
        rec.height - licences.height)
    ent = _read(out, "enterprises").with_columns(
        pl.col("domain_tags").fill_null([]), pl.col("industry_code").str.slice(0, 1).alias("s"))
    joined = licences.join(ent, on="uscc")
    needs = {"food_business": "food", "food_production": "food", "drug_business": "drug",
             "drug_production": "drug", "special_equipment_use": "special_equipment",
             "industrial_product_production": "industrial_product",
             "medical_device_business": "medical_device", "cosmetics_production": "cosmetics"}
    for kind, tag in needs.items():
        typed = joined.filter(pl.col("licence_type") == kind)
        assert typed["domain_tags"].list.contains(tag).all(), kind
    assert {"food_business", "special_equipment_use", "other"} <= set(joined["licence_type"])
    assert (joined.filter(pl.col("licence_type") == "road_transport")["industry_code"]
            .str.starts_with("G54").all())
    assert (joined.filter(pl.col("licence_type") == "construction_qualification")["s"] == "E"
            ).all()
    makers = ("food_production", "drug_production", "medical_device_production",
              "cosmetics_production")
    assert joined.filter(pl.col("licence_type").is_in(makers))["s"].eq("C").all()
    # an enterprise's licence types come from its trade, never from its risk
    hidden = pl.read_parquet(out / HIDDEN_FILE)
    food = ent.filter(pl.col("domain_tags").list.contains("food")).join(hidden, on="uscc")
    holders = food["uscc"].is_in(joined.filter(pl.col("licence_type") == "food_business")[
        "uscc"].implode())
    assert abs(food.filter(holders)["hidden_risk"].mean()
               - food.filter(~holders)["hidden_risk"].mean()) < 0.5


def test_inspections_name_two_inspectors_of_the_roster_free_of_conflicts(
        moderate: tuple[Path, SynthSummary]) -> None:
    out, _ = moderate
    insp = _read(out, "inspections")
    roster = _read(out, "inspectors")
    ent = _read(out, "enterprises").select("uscc", "region_code")
    assert insp["inspector_ids"].null_count() < 0.02 * insp.height
    assert (insp["inspector_ids"].drop_nulls().list.len() == 2).all()
    pairs = (insp.join(ent, on="uscc").explode("inspector_ids")
             .drop_nulls("inspector_ids")
             .join(roster, left_on="inspector_ids", right_on="inspector_id", how="left"))
    assert pairs["unit"].null_count() == 0  # every id is the roster's
    assert (pairs["unit_region"].str.slice(0, 4) == pairs["region_code"].str.slice(0, 4)).all()
    names = dict(DEPARTMENTS)  # the office (a label) is of the inspector's department
    assert all(office.endswith(names[code]) for office, code in
               pairs.select("department", "department_right").iter_rows())
    excluded = {(unit, u) for unit, codes in roster.select("unit", "unit_conflicts").iter_rows()
                for u in codes or ()}
    units = set(roster["unit"])
    for office, unit, code in pairs.select("department", "unit", "uscc").iter_rows():
        if office in units and (office, code) not in excluded:
            assert unit == office  # the inspecting office's own inspectors when it has some
        assert (unit, code) not in excluded
    declared = pairs.filter(pl.col("conflict_enterprises").list.contains(pl.col("uscc")))
    assert declared.height == 0  # 回避: never one who declared a conflict with it


def test_spot_check_problems_rise_with_hidden_risk(moderate: tuple[Path, SynthSummary]) -> None:
    out, _ = moderate
    hidden = pl.read_parquet(out / HIDDEN_FILE)
    insp = _read(out, "inspections").join(hidden, on="uscc")
    quintile = (insp["hidden_risk"].rank() / insp.height * 5).floor().clip(0, 4)
    problem = (insp["result"] == "problem_found").to_numpy()
    low = problem[(quintile == 0).to_numpy()].mean()
    high = problem[(quintile == 4).to_numpy()].mean()
    assert high > 3 * low and high > 0.2


def test_adverse_outcomes_are_concentrated(moderate: tuple[Path, SynthSummary]) -> None:
    out, summary = moderate
    rec = _read(out, "records")
    year_start = summary.period_end.replace(month=1, day=1)
    adverse = rec.filter(
        (pl.col("occurred_on") >= year_start)
        & (pl.col("record_type").is_in(["administrative_penalty", "abnormal_operation",
                                        "serious_dishonesty", "dishonest_debtor"])
           | ((pl.col("record_type") == "spot_check") & (pl.col("outcome") == "problem_found")))
    )["uscc"].unique()
    ent = _read(out, "enterprises").filter(
        (pl.col("established_on") < year_start)
        & (pl.col("deregistered_on").is_null() | (pl.col("deregistered_on") >= year_start)))
    share = ent["uscc"].is_in(adverse.implode()).mean()
    assert 0.05 < share < 0.18
    hidden = pl.read_parquet(out / HIDDEN_FILE).join(ent.select("uscc"), on="uscc")
    top = hidden.filter(pl.col("hidden_risk") >= pl.col("hidden_risk").quantile(0.9))
    assert top["uscc"].is_in(adverse.implode()).mean() > 3 * share


def test_persons_are_heavy_tailed(moderate: tuple[Path, SynthSummary]) -> None:
    out, _ = moderate
    rel = _read(out, "relations").filter(pl.col("party_kind") == "person")
    per_person = rel.group_by("party_id").agg(pl.col("uscc").n_unique().alias("n"))["n"]
    assert per_person.quantile(0.5) == 1
    assert per_person.max() >= 8
    changes = _read(out, "records").filter(
        pl.col("outcome").is_in(["legal_representative", "shareholder"]))
    assert changes.height > 0
    assert rel["ended_on"].is_not_null().sum() >= changes.height * 0.9


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_text_formats_match_parquet(small: tuple[Path, SynthSummary], tmp_path: Path,
                                    fmt: str) -> None:
    first, summary = small
    text = generate(tmp_path, **SMALL, fmt=fmt)
    assert text.rows == summary.rows
    for name, table in TABLES.items():
        df = _read(tmp_path, name, fmt)
        assert df.height == summary.rows[name]
        assert df.columns == table.column_names
    csv_or_json = _read(tmp_path, "records", fmt).select("record_id", "uscc")
    assert csv_or_json.equals(_read(first, "records").select("record_id", "uscc"))


def test_dirty_run_breaks_about_the_requested_fraction(small: tuple[Path, SynthSummary],
                                                       tmp_path: Path) -> None:
    clean_dir, clean = small
    fraction = 0.05
    summary = generate(tmp_path, **SMALL, dirty=fraction)
    for name in TABLES:
        schema = pq.read_schema(tmp_path / f"{name}.parquet")
        assert all(str(f.type) == "string" for f in schema), name
        dirty = pl.read_parquet(tmp_path / f"{name}.parquet")
        original = pl.from_arrow(stringify(pq.read_table(clean_dir / f"{name}.parquet")))
        duplicates = summary.rows[name] - clean.rows[name]
        assert duplicates > 0 or clean.rows[name] < 200, name
        # Duplicates sit next to their original row; drop them and compare row by row.
        same_as_previous = pl.all_horizontal(
            [pl.col(c).eq_missing(pl.col(c).shift(1)) for c in dirty.columns])
        deduped = dirty.filter(~same_as_previous)
        assert deduped.height == clean.rows[name], name
        both = deduped.hstack(original.rename(lambda c: c + "__clean"))
        changed = both.select(~pl.all_horizontal(
            [pl.col(c).eq_missing(pl.col(c + "__clean")) for c in dirty.columns])).to_series().sum()
        assert changed + duplicates == summary.dirty_rows[name], name
        share = summary.dirty_rows[name] / summary.rows[name]
        if clean.rows[name] > 1000:
            assert 0.6 * fraction < share < 1.4 * fraction, (name, share)
    rec = pl.read_parquet(tmp_path / "records.parquet")
    bad_codes = ~uscc.check_codes(rec["uscc"].fill_null("").to_arrow())
    assert 0 < bad_codes.sum() < 0.05 * rec.height
    assert rec["occurred_on"].str.contains(r"-(02-3\d|\d\d-31|13-|00-)").sum() > 0


def test_arguments_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fmt"):
        generate(tmp_path, enterprises=10, months=1, seed=1, fmt="xlsx")
    with pytest.raises(ValueError, match="end_month"):
        generate(tmp_path, enterprises=10, months=1, seed=1, end_month="2025/12")
    with pytest.raises(ValueError, match="dirty"):
        generate(tmp_path, enterprises=10, months=1, seed=1, dirty=1.5)


def test_tiny_run_works(tmp_path: Path) -> None:
    summary = generate(tmp_path, enterprises=5, months=2, seed=0)
    assert summary.rows["enterprises"] == 5
    assert pl.read_parquet(tmp_path / HIDDEN_FILE)["hidden_risk"].is_finite().all()


def test_record_ids_are_unique_per_province(small: tuple[Path, SynthSummary],
                                            tmp_path: Path) -> None:
    ids = {seed: set(_read(tmp_path / str(seed), "records")["record_id"])
           for seed in (1, 2) if generate(tmp_path / str(seed), enterprises=60, months=6,
                                          seed=seed)}
    first = set(_read(small[0], "records")["record_id"])
    assert ids[1] and ids[2] and first
    assert not ids[1] & ids[2] and not ids[1] & first and not ids[2] & first

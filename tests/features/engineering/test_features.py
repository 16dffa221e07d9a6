"""Hand-computed features on a small province, point-in-time rules and leakage."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from features.catalog import CATALOG, FEATURE_NAMES
from features.engineering.build import KEY_COLUMNS
from features.engines import compute_features
from tests.features.engineering import handmade as h


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    return h.build_store(tmp_path_factory.mktemp("handmade"))


@pytest.fixture(scope="module")
def features(store) -> pl.DataFrame:
    frame = pl.from_arrow(compute_features(store, h.AS_OF))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _row(features: pl.DataFrame, uscc: str) -> dict:
    return features.filter(pl.col("uscc") == uscc).row(0, named=True)


def test_only_enterprises_alive_at_the_as_of_date(features: pl.DataFrame) -> None:
    assert sorted(features.get_column("uscc")) == sorted([h.E1, h.E2, h.E3, h.E4])


def test_catalog_and_output_columns_match_exactly(features: pl.DataFrame) -> None:
    assert features.columns == [*KEY_COLUMNS, *FEATURE_NAMES]
    assert len(CATALOG) >= 81


def test_basic_attributes(features: pl.DataFrame) -> None:
    e1, e2 = _row(features, h.E1), _row(features, h.E2)
    assert e1["age_years"] == pytest.approx((h.AS_OF - dt.date(2020, 1, 1)).days / 365.25)
    assert (e1["industry_section"], e1["industry_division"], e1["prefecture"]) == (
        "F", "F52", "410100")
    assert e2["prefecture"] == "419001"  # provincially administered county-level city
    assert (e1["domain_tag_count"], e1["tag_food"], e1["tag_drug"]) == (1, 1, 0)
    assert e1["registered_capital"] == 100.0


def test_supervision_penalties_repair_revocation_and_late_collection(features) -> None:
    e1 = _row(features, h.E1)
    # P1 counts everywhere; P2 only in 36m; P3 was collected after, P4 revoked before.
    assert (e1["penalties_3m"], e1["penalties_12m"], e1["penalties_36m"]) == (1, 1, 2)
    assert e1["penalty_amount_12m"] == 1000 and e1["penalty_amount_36m"] == 1500
    assert e1["serious_penalties_36m"] == 1
    assert e1["unrepaired_penalties_36m"] == 1  # P2 was credit-repaired
    assert e1["days_since_penalty"] == (h.AS_OF - dt.date(2024, 5, 1)).days


def test_supervision_lists_removal(features) -> None:
    e1 = _row(features, h.E1)
    assert e1["abnormal_listed_now"] == 1  # A2 is removed only after the as-of date
    assert e1["abnormal_listings_36m"] == 2
    assert e1["days_on_abnormal_list"] == (h.AS_OF - dt.date(2024, 3, 1)).days
    assert e1["serious_dishonesty_now"] == 0
    e4 = _row(features, h.E4)
    assert (e4["serious_dishonesty_now"], e4["serious_dishonesty_ever"]) == (1, 1)


def test_supervision_spot_checks_and_domain_grade(features) -> None:
    e1 = _row(features, h.E1)
    assert (e1["spot_checks_36m"], e1["spot_check_problems_12m"],
            e1["spot_check_problems_36m"]) == (2, 1, 1)
    assert e1["spot_check_problem_rate_36m"] == 0.5
    assert e1["days_since_spot_check_problem"] == (h.AS_OF - dt.date(2024, 4, 10)).days
    assert e1["draws_36m"] == 1  # the 2021 draw is outside the window
    assert e1["domain_risk_grade"] == 3  # latest grade C
    assert _row(features, h.E2)["domain_risk_grade"] is None


def test_dynamic_information(features) -> None:
    e1 = _row(features, h.E1)
    assert (e1["legal_rep_changes_12m"], e1["legal_rep_changes_36m"]) == (1, 1)
    assert e1["registration_changes_12m"] == 1
    assert (e1["annual_reports_36m"], e1["annual_reports_late_36m"]) == (2, 1)
    assert e1["days_since_annual_report"] == (h.AS_OF - dt.date(2024, 4, 1)).days


def test_social_evaluation(features) -> None:
    e1 = _row(features, h.E1)
    assert (e1["complaints_3m"], e1["complaints_12m"], e1["complaints_36m"]) == (1, 2, 2)
    assert (e1["complaints_substantiated_12m"], e1["commitments_kept_36m"]) == (1, 1)
    assert e1["honours_36m"] == 0


def test_data_quality(features) -> None:
    e1 = _row(features, h.E1)
    visible_in_36m = 14  # E1's 16 records minus P3 (not yet collected) and P4 (revoked)
    assert e1["records_36m"] == visible_in_36m
    assert e1["late_collection_share_36m"] == pytest.approx(1 / visible_in_36m)  # C2 only
    assert e1["max_collection_delay_36m"] == 25


def test_related_parties(features) -> None:
    e1 = _row(features, h.E1)
    # Persons PA (E1, E2) and PB (E1, E3, E6); PD ended, PE not started.
    assert e1["persons_linked"] == 2
    assert e1["related_enterprises"] == 3  # E2 via PA; E3 and E6 via PB
    assert e1["related_listed_share"] == pytest.approx(1 / 3)  # E2
    assert e1["related_penalised_share_12m"] == pytest.approx(1 / 3)  # E3
    assert e1["related_closed_share"] == pytest.approx(1 / 3)  # E6
    assert e1["related_dishonest_share"] == 0
    assert (e1["legal_rep_other_enterprises"], e1["legal_rep_listed_enterprises"]) == (1, 1)
    assert e1["max_person_degree"] == 3
    assert (e1["enterprise_shareholders"], e1["investors_listed"]) == (1, 1)
    e2 = _row(features, h.E2)
    # E2 sees E1 through PA; E1 is listed, and E2's own listing is not counted.
    assert (e2["related_enterprises"], e2["related_listed_share"]) == (1, 1.0)
    assert _row(features, h.E4)["investments_out"] == 1
    e3 = _row(features, h.E3)
    assert e3["related_penalised_share_12m"] == 0.5  # E1 of {E1, E6}; not its own penalty


def test_nothing_after_the_as_of_date_changes_any_feature(tmp_path: Path, features) -> None:
    late = [
        h.record("L1", h.E1, "serious_dishonesty", "2024-06-15", "2024-07-01"),
        h.record("L2", h.E2, "administrative_penalty", "2024-07-02", "2024-07-03",
                 amount="5"),
        h.record("L3", h.E3, "complaint", "2023-06-01", "2024-08-01", outcome="pending"),
    ]
    later_roles = [h.relation(h.E3, "legal_representative", "PA", started="2024-07-01")]
    store = h.build_store(tmp_path, extra_records=late, extra_relations=later_roles)
    after = pl.from_arrow(compute_features(store, h.AS_OF))
    assert after.equals(features)
    # …and the same records do count once the as-of date passes them.
    moved = pl.from_arrow(compute_features(store, dt.date(2024, 8, 31)))
    assert moved.filter(pl.col("uscc") == h.E1).get_column("serious_dishonesty_now")[0] == 1


def test_generic_event_features_on_hand_made_records(features) -> None:
    e1 = _row(features, h.E1)
    # P1 and the repaired P2 count; P3 was collected after the as-of date, P4 revoked.
    assert (e1["ev_administrative_penalty_3m"], e1["ev_administrative_penalty_12m"],
            e1["ev_administrative_penalty_36m"]) == (1, 1, 2)
    assert e1["ev_administrative_penalty_days_since"] == (h.AS_OF - dt.date(2024, 5, 1)).days
    ages = [(h.AS_OF - dt.date(2024, 5, 1)).days, (h.AS_OF - dt.date(2023, 1, 10)).days]
    assert e1["ev_administrative_penalty_decayed"] == pytest.approx(
        sum(2 ** (-age / 365) for age in ages))
    # each outcome of a type on its own
    assert (e1["ev_spot_check_36m"], e1["ev_spot_check__problem_found_12m"],
            e1["ev_spot_check__no_problem_12m"], e1["ev_spot_check__no_problem_36m"]) == (
        2, 1, 0, 1)
    assert e1["ev_spot_check__not_located_36m"] == 0
    assert e1["ev_spot_check__not_located_days_since"] is None
    assert e1["ev_spot_check__not_located_decayed"] == 0.0
    e4 = _row(features, h.E4)
    assert e4["ev_serious_dishonesty_36m"] == 1 and e4["ev_complaint_36m"] == 0


def test_related_parties_aggregate_generic_adverse_counts(features) -> None:
    e1, e3 = _row(features, h.E1), _row(features, h.E3)
    # E1's related enterprises: E2 (abnormal listing X2), E3 (penalty X3), E6 (none)
    assert e1["related_adverse_12m"] == 2 and e1["related_adverse_36m"] == 2
    assert e1["related_adverse_rate_12m"] == pytest.approx(2 / 3)
    # E3 sees E1's adverse records (P1, A1, A2, S1 in 12 months; P2 too in 36) but not its own
    assert (e3["related_adverse_12m"], e3["related_adverse_36m"]) == (4, 5)

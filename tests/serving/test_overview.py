"""The overview's use cases on SQLite and PostgreSQL: class shares and their change inside a
scope, warnings filtered by disposal status, one enterprise's warnings across periods."""

from __future__ import annotations

import datetime as dt

import pytest

from serving.results.store import ResultsStore
from serving.use_cases import InvalidRequest, NotFound, Scope, record_disposition
from serving.use_cases.overview import class_shares, enterprise_warnings, warning_list
from tests.serving.test_service_reads import (
    DECEMBER,
    NOVEMBER,
    period_rows,
    publish,
    uscc_of,
)

EVERYWHERE = Scope()


@pytest.fixture
def results(database_url: str) -> ResultsStore:
    store = ResultsStore(database_url).migrate()
    publish(store, NOVEMBER, period_rows(NOVEMBER, shift=1), warned=(1, 2))
    publish(store, DECEMBER, period_rows(DECEMBER), warned=(1, 2, 3, 4))
    return store


def test_class_shares_count_the_period_and_the_one_before(results: ResultsStore) -> None:
    shares = class_shares(results, DECEMBER, EVERYWHERE)
    rows = period_rows(DECEMBER)["risk_level"].to_pylist()
    assert shares.counts == {level: rows.count(level) for level in "ABCD"}
    assert shares.total == len(rows) and shares.previous_period == NOVEMBER
    before = period_rows(NOVEMBER, shift=1)["risk_level"].to_pylist()
    assert shares.previous_counts == {level: before.count(level) for level in "ABCD"}
    assert shares.change("A") == pytest.approx(shares.share("A") - before.count("A") / 60)
    assert sum(shares.share(level) for level in "ABCD") == pytest.approx(1)
    first = class_shares(results, NOVEMBER, EVERYWHERE)
    assert first.previous_counts is None and first.change("A") is None


def test_class_shares_keep_to_the_scope(results: ResultsStore) -> None:
    county = class_shares(results, DECEMBER, Scope("410102"))
    inside = [i for i in range(60) if i % 4 == 0]  # REGIONS[0] is the county 410102
    assert county.total == len(inside)
    with pytest.raises(NotFound, match="no classification is published for 2025-10-31"):
        class_shares(results, dt.date(2025, 10, 31), EVERYWHERE)


def test_warnings_are_filtered_by_their_latest_disposition(results: ResultsStore) -> None:
    record_disposition(results, f"20251231-{uscc_of(2)}", EVERYWHERE, status="in_progress")
    record_disposition(results, f"20251231-{uscc_of(3)}", EVERYWHERE, status="in_progress")
    record_disposition(results, f"20251231-{uscc_of(3)}", EVERYWHERE, status="resolved")
    by_status = {status: {w.warning.uscc for w in warning_list(results, DECEMBER, EVERYWHERE,
                                                               status=status).items}
                 for status in ("open", "in_progress", "resolved", "dismissed")}
    assert by_status == {"open": {uscc_of(1), uscc_of(4)}, "in_progress": {uscc_of(2)},
                         "resolved": {uscc_of(3)}, "dismissed": set()}
    first = warning_list(results, DECEMBER, EVERYWHERE, limit=3)
    assert len(first.items) == 3 and first.total == 4 and first.next_offset == 3
    rest = warning_list(results, DECEMBER, EVERYWHERE, limit=3, offset=3)
    assert len(rest.items) == 1 and rest.next_offset is None
    assert {w.warning.uscc for w in first.items + rest.items} == {uscc_of(i) for i in (1, 2, 3, 4)}
    with pytest.raises(InvalidRequest, match="offset"):
        warning_list(results, DECEMBER, EVERYWHERE, offset=-1)
    with pytest.raises(InvalidRequest, match="status: expected one of open"):
        warning_list(results, DECEMBER, EVERYWHERE, status="lost")
    with pytest.raises(InvalidRequest, match="limit"):
        warning_list(results, DECEMBER, EVERYWHERE, limit=0)


def test_an_enterprises_warnings_across_periods(results: ResultsStore) -> None:
    record_disposition(results, f"20251231-{uscc_of(2)}", EVERYWHERE, status="resolved",
                       action_taken="约谈")
    found = enterprise_warnings(results, uscc_of(2), [NOVEMBER, DECEMBER], EVERYWHERE)
    assert [(w.warning.period, w.disposition.status if w.disposition else None)
            for w in found] == [(DECEMBER, "resolved"), (NOVEMBER, None)]
    assert enterprise_warnings(results, uscc_of(5), [NOVEMBER, DECEMBER], EVERYWHERE) == []
    outside = Scope("410300")  # uscc_of(2) is registered in 410300's county
    assert enterprise_warnings(results, uscc_of(1), [DECEMBER], outside) == []

"""What the service reads of a published period, on SQLite and PostgreSQL: keyset pages,
filters, the CSV export, an enterprise's record, and the caller's scope (object-level
authorisation: outside it, an enterprise does not exist)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.enterprise_directory import EnterpriseDirectory
from features.store import Store
from serving.monthly.batch import RESULT_SCHEMA, county_of
from serving.results import export as export_module
from serving.results.rows import ResultRow, StoredWarning
from serving.results.store import ResultsStore
from serving.use_cases import (
    CSV_COLUMNS,
    InvalidRequest,
    NotFound,
    Scope,
    classification_csv,
    classification_page,
    enterprise_history,
    enterprise_record,
    search_enterprises,
    stored_explanation,
)
from tests.serving.test_results_store import begin

DECEMBER = dt.date(2025, 12, 31)
NOVEMBER = dt.date(2025, 11, 30)
EVERYWHERE = Scope()
# (prefecture, county): a county, the prefecture's own bureau, another prefecture's county,
# and a county-level city administered by the province
REGIONS = [("410100", "410102"), ("410100", None), ("410300", "410305"), ("419001", "419001")]
INDUSTRIES = [("C", "C13"), ("C", "C14"), ("F", "F51")]
DOMAINS = ["food", "food;drug", "", "special_equipment", "drug"]
COUNT = 60


def uscc_of(i: int) -> str:
    return f"91410100MA{i:08d}"


def period_rows(period: dt.date, count: int = COUNT, shift: int = 0,
                codes: list[str] | None = None) -> pa.Table:
    """``count`` results with every combination of region, class, industry and domains."""
    codes = codes or [uscc_of(i) for i in range(count)]
    columns: dict[str, list[object]] = {name: [None] * len(codes)
                                        for name in RESULT_SCHEMA.names}
    regions = [REGIONS[i % 4] for i in range(len(codes))]
    industries = [INDUSTRIES[i % 3] for i in range(len(codes))]
    levels = ["ABCD"[(i + shift) % 4] for i in range(len(codes))]
    columns |= {
        "uscc": codes, "period": [period] * len(codes),
        "model_score": [100.0 + i for i in range(len(codes))],
        "final_score": [100.25 + i + shift for i in range(len(codes))],
        "model_level": levels, "risk_level": levels, "class_label": levels,
        "fired_rules": ["" if i % 3 else "abnormal_operation_list;penalty_recent"
                        for i in range(len(codes))],
        "base_points": [301.5] * len(codes),
        "factor_up_1": ["penalties_12m"] * len(codes), "points_up_1": [12.25] * len(codes),
        "factor_down_1": ["age_years"] * len(codes), "points_down_1": [-3.5] * len(codes),
        "prefecture": [p for p, _ in regions], "county": [c for _, c in regions],
        "industry_section": [s for s, _ in industries],
        "industry_division": [d for _, d in industries],
        "domain_tags": [DOMAINS[i % 5] for i in range(len(codes))],
        "input_fingerprint": ["0" * 32] * len(codes),
        "model_version": ["m/1"] * len(codes), "rules_version": ["r1"] * len(codes),
    }
    return pa.table(columns, schema=RESULT_SCHEMA)


def publish(results: ResultsStore, period: dt.date, rows: pa.Table,
            warned: tuple[int, ...] = ()) -> str:
    run = begin(results, period)
    results.write_results(run, rows)
    codes = rows["uscc"].to_pylist()
    results.write_warnings(run, [
        StoredWarning(codes[i], period, 1 + i % 4, "提醒", "remind", ("penalty",), None,
                      rows["risk_level"][i].as_py()) for i in warned])
    results.publish(run)
    return run


@pytest.fixture
def results(database_url: str) -> ResultsStore:
    store = ResultsStore(database_url).migrate()
    publish(store, NOVEMBER, period_rows(NOVEMBER, shift=1))
    publish(store, DECEMBER, period_rows(DECEMBER))
    return store


def every_page(results: ResultsStore, scope: Scope = EVERYWHERE, limit: int = 7,
               **filters: str) -> list[ResultRow]:
    seen: list[ResultRow] = []
    cursor = None
    for _ in range(COUNT + 2):
        page = classification_page(results, DECEMBER, scope, cursor=cursor, limit=limit,
                                   **filters)
        assert len(page.items) <= limit
        seen += page.items
        cursor = page.next_cursor
        if cursor is None:
            return seen
        assert len(page.items) == limit
    raise AssertionError("pagination did not stop")


def expected(keep: object) -> list[str]:
    rows = period_rows(DECEMBER).to_pylist()
    return [r["uscc"] for r in rows if keep(r)]  # type: ignore[operator]


def test_pages_visit_every_row_once_in_order_and_stop(results: ResultsStore) -> None:
    seen = every_page(results)
    assert [r.uscc for r in seen] == [uscc_of(i) for i in range(COUNT)]
    assert {r.period for r in seen} == {DECEMBER}
    first = seen[0]
    assert first.fired_rules == ("abnormal_operation_list", "penalty_recent")
    assert first.county == "410102" and first.region_code == "410102"
    assert seen[1].county is None and seen[1].region_code == "410100"
    assert seen[1].domain_tags == ("food", "drug") and seen[2].domain_tags == ()
    assert first.industry_division == "C13"
    whole = classification_page(results, DECEMBER, EVERYWHERE, limit=COUNT)
    assert whole.next_cursor is None and len(whole.items) == COUNT
    assert whole.run.period == DECEMBER and whole.run.status == "published"


@pytest.mark.parametrize(("filters", "keep"), [
    ({"risk_level": "D"}, lambda r: r["risk_level"] == "D"),
    ({"region": "4101"}, lambda r: r["prefecture"] == "410100"),
    ({"region": "410100"}, lambda r: r["prefecture"] == "410100"),
    ({"region": "410102"}, lambda r: r["county"] == "410102"),
    ({"region": "4190"}, lambda r: r["prefecture"] == "419001"),
    ({"industry": "C"}, lambda r: r["industry_section"] == "C"),
    ({"industry": "C14"}, lambda r: r["industry_division"] == "C14"),
    ({"domain": "drug"}, lambda r: "drug" in r["domain_tags"].split(";")),
    ({"domain": "special_equipment"}, lambda r: r["domain_tags"] == "special_equipment"),
    ({"risk_level": "A", "region": "4101", "domain": "food"},
     lambda r: r["risk_level"] == "A" and r["prefecture"] == "410100"
     and "food" in r["domain_tags"].split(";")),
])
def test_filters(results: ResultsStore, filters: dict[str, str], keep: object) -> None:
    wanted = expected(keep)
    assert wanted
    assert [r.uscc for r in every_page(results, limit=4, **filters)] == wanted


@pytest.mark.parametrize(("arguments", "message"), [
    ({"risk_level": "E"}, r"risk_level: expected one of A, B, C, D, found 'E'"),
    ({"industry": "C99"}, r"industry: expected a GB/T 4754 section letter .* found 'C99'"),
    ({"industry": "c13"}, r"industry: .* found 'c13'"),
    ({"domain": "fish"}, r"domain: expected one of food, drug, .* found 'fish'"),
    ({"region": "41a1"}, r"region: expected a prefix of a 6-digit GB/T 2260 .* found '41a1'"),
    ({"limit": 0}, r"limit: expected a whole number from 1 to 1000, found 0"),
    ({"limit": 1001}, r"limit: .* found 1001"),
    ({"cursor": "not a cursor!"}, r"cursor: expected the next_cursor of a previous page"),
])
def test_invalid_arguments_name_the_parameter(results: ResultsStore, arguments: dict[str, object],
                                              message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        classification_page(results, DECEMBER, EVERYWHERE, **arguments)  # type: ignore[arg-type]


def test_an_unpublished_period_is_not_found(results: ResultsStore) -> None:
    with pytest.raises(NotFound, match="no classification is published for 2025-10-31"):
        classification_page(results, dt.date(2025, 10, 31), EVERYWHERE)
    with pytest.raises(NotFound, match="no classification is published for 2025-10-31"):
        classification_csv(results, dt.date(2025, 10, 31), EVERYWHERE)


def test_a_cursor_of_another_publication_is_refused(results: ResultsStore) -> None:
    page = classification_page(results, DECEMBER, EVERYWHERE, limit=5)
    assert page.next_cursor is not None
    november = classification_page(results, NOVEMBER, EVERYWHERE, limit=5)
    with pytest.raises(InvalidRequest, match="cursor: it belongs to another publication"):
        classification_page(results, DECEMBER, EVERYWHERE, cursor=november.next_cursor)
    publish(results, DECEMBER, period_rows(DECEMBER, shift=2))  # republished
    with pytest.raises(InvalidRequest, match="republished"):
        classification_page(results, DECEMBER, EVERYWHERE, cursor=page.next_cursor)


def test_scope_hides_rows_outside_it(results: ResultsStore) -> None:
    county = Scope("410102")
    assert [r.uscc for r in every_page(results, county)] == expected(
        lambda r: r["county"] == "410102")
    prefecture = Scope("410100")  # the whole prefecture, as GB/T 2260 writes it
    assert [r.uscc for r in every_page(results, prefecture)] == expected(
        lambda r: r["prefecture"] == "410100")
    # a region filter narrows the scope, never widens it
    assert [r.uscc for r in every_page(results, county, region="41")] == expected(
        lambda r: r["county"] == "410102")
    assert every_page(results, county, region="4103") == []
    assert b"".join(classification_csv(results, DECEMBER, county, region="4103")) == (
        ",".join(CSV_COLUMNS) + "\n").encode()


def test_an_enterprise_outside_the_scope_does_not_exist(results: ResultsStore) -> None:
    inside, outside, unknown = uscc_of(0), uscc_of(2), uscc_of(999)
    county = Scope("410102")
    record = enterprise_record(results, f" {inside.lower()} ", county)
    assert [e.result.period for e in record.history] == [NOVEMBER, DECEMBER]
    assert record.latest == record.history[-1] and record.latest.result.risk_level == "A"
    assert record.latest.profile == "henan" and record.latest.data_fingerprint == "sha256:data"
    messages = []
    for code in (outside, unknown):
        with pytest.raises(NotFound) as refused:
            enterprise_record(results, code, county)
        messages.append(str(refused.value).replace(code, "…"))
        with pytest.raises(NotFound):
            enterprise_history(results, code, county)
        with pytest.raises(NotFound):
            stored_explanation(results, code, DECEMBER, county)
    assert messages[0] == messages[1]
    assert enterprise_record(results, outside, EVERYWHERE).latest.result.uscc == outside


def test_stored_explanation_is_the_published_result(results: ResultsStore) -> None:
    entry = stored_explanation(results, uscc_of(0), DECEMBER, Scope("4101"))
    result = entry.result
    assert result.base_points == 301.5 and result.period == DECEMBER
    assert [(f.feature, f.points) for f in result.factors_up] == [("penalties_12m", 12.25)]
    assert [(f.feature, f.points) for f in result.factors_down] == [("age_years", -3.5)]
    assert result.fired_rules == ("abnormal_operation_list", "penalty_recent")
    with pytest.raises(NotFound, match="no published classification for 2025-10-31"):
        stored_explanation(results, uscc_of(0), dt.date(2025, 10, 31), EVERYWHERE)


def test_csv_equals_the_json_rows(results: ResultsStore,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Byte for byte, whichever database writes it (PostgreSQL's COPY or Python's csv)."""
    monkeypatch.setattr(export_module, "STREAM_ROWS", 7)
    for scope, filters in ((EVERYWHERE, {}), (Scope("4101"), {"industry": "C"})):
        export = classification_csv(results, DECEMBER, scope, **filters)
        chunks = list(export)
        rows = every_page(results, scope, **filters)
        assert export.rows == len(rows)
        if results.engine.dialect.name == "sqlite":  # the header, then chunks of 7 rows
            assert len(chunks) == 1 + -(-len(rows) // 7)
        text = b"".join(chunks).decode()
        lines = io.StringIO()
        csv.writer(lines, lineterminator="\n").writerows(
            [CSV_COLUMNS, *([as_csv(r)[c] for c in CSV_COLUMNS] for r in rows)])
        assert text == lines.getvalue()
        assert [as_csv(r) for r in rows] == list(csv.DictReader(io.StringIO(text)))


def as_csv(row: ResultRow) -> dict[str, str]:
    """A result row as its CSV line reads back, from the typed row."""
    values = row._asdict()
    for way, factors in (("up", row.factors_up), ("down", row.factors_down)):
        for rank in range(1, 4):
            factor = factors[rank - 1] if rank <= len(factors) else None
            values[f"factor_{way}_{rank}"] = factor.feature if factor else None
            values[f"points_{way}_{rank}"] = factor.points if factor else None
    values["fired_rules"] = ";".join(row.fired_rules)
    values["domain_tags"] = ";".join(row.domain_tags)
    return {c: "" if values[c] is None else str(values[c]) for c in CSV_COLUMNS}


def test_search_by_code_and_name_prefix(database_url: str, synthetic_store: Store) -> None:
    enterprises = pq.read_table(synthetic_store.table_path("enterprises"),
                                columns=["uscc", "name", "region_code"]).to_pylist()
    target = enterprises[0]
    results = ResultsStore(database_url).migrate()
    directory = EnterpriseDirectory(synthetic_store)
    publish(results, DECEMBER, period_rows(DECEMBER, codes=[target["uscc"]]))
    found = search_enterprises(results, directory, f"  {target['uscc'][:12].lower()} ",
                               EVERYWHERE)
    assert target["uscc"] in [m.uscc for m in found]
    match = next(m for m in found if m.uscc == target["uscc"])
    assert (match.name, match.region_code, match.risk_level) == (
        target["name"], target["region_code"], "A")
    named = search_enterprises(results, directory, target["name"][:4], EVERYWHERE,
                               limit=100)
    assert named and all(m.name.startswith(target["name"][:4]) for m in named)
    assert target["uscc"] in [m.uscc for m in named]
    assert [m.uscc for m in named] == sorted(m.uscc for m in named)
    assert all(m.risk_level is None for m in named if m.uscc != target["uscc"])
    elsewhere = next(e for e in enterprises
                     if e["region_code"][:4] != target["region_code"][:4])
    assert search_enterprises(results, directory, target["uscc"], Scope(
        elsewhere["region_code"][:4])) == []
    scoped = search_enterprises(results, directory, target["uscc"],
                                Scope(target["region_code"][:4]))
    assert [m.uscc for m in scoped] == [target["uscc"]]
    for q in ("", " x ", "x" * 101):
        with pytest.raises(InvalidRequest, match="q: expected 2 to 100 characters"):
            search_enterprises(results, directory, q, EVERYWHERE)


def test_the_county_is_the_code_of_a_county_level_division() -> None:
    codes = pa.array(["410102", "410100", "410000", "419001", None], pa.string())
    assert county_of(codes).to_pylist() == ["410102", None, None, "419001", None]


def test_scope_reads_gbt_2260_codes() -> None:
    assert Scope("410100").prefix == "4101" and Scope("410000").prefix == "41"
    assert Scope("410102").prefix == "410102" and Scope().prefix is None
    assert Scope("4101").covers("410102") and Scope("4101").covers("410100")
    assert not Scope("410102").covers("410100") and not Scope("4101").covers(None)
    assert Scope().covers(None)
    assert Scope("4101").narrowed("410102") == Scope("410102")
    assert Scope("410102").narrowed("4101") == Scope("410102")
    assert Scope("4101").narrowed("4103") is None
    with pytest.raises(InvalidRequest, match="scope region: expected a prefix"):
        Scope("41-01")

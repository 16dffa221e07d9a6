"""Read a published period's classifications: a page at a time (keyset pagination) or the
whole period as CSV, filtered and limited to the caller's scope.

Pages are in uscc order; a page's query is one range scan of the ``results`` primary key
(run_id, uscc, period) from the cursor on (of ``ix_results_run_level`` when one class is
asked for), the filters checked on the way, stopping after ``limit`` + 1 rows. The cursor
is opaque (urlsafe base64 of the run id and the last uscc), so a cursor from a publication
that has been superseded, or from another period, is refused instead of mixing two runs.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from features.reference.industries import BY_LETTER, valid_industry_codes
from features.reference.record_types import DOMAINS
from models.levels import LEVELS
from serving.results.export import EXPORT_COLUMNS
from serving.results.rows import ResultRow, RunInfo
from serving.results.store import ResultSelection, ResultsStore
from serving.use_cases.errors import InvalidRequest, NotFound
from serving.use_cases.scope import Scope

MAX_PAGE = 1000
CSV_COLUMNS = EXPORT_COLUMNS
"""The CSV's columns: every column of a stored result, in the table's order — uscc, period,
scores, levels and class label, ``fired_rules`` and ``domain_tags`` joined by ``;``, base
points, the top factors each way with their points, prefecture, county, industry section and
division, the input fingerprint and the model and rules versions. Empty for a missing value."""


@dataclass(frozen=True)
class ClassificationPage:
    """One page of a period's published classifications, by uscc."""

    items: list[ResultRow]
    next_cursor: str | None
    """Pass it back for the next page; None on the last page."""
    run: RunInfo
    """The publication read."""


def classification_page(
    results: ResultsStore, period: dt.date, scope: Scope, *, risk_level: str | None = None,
    region: str | None = None, industry: str | None = None, domain: str | None = None,
    cursor: str | None = None, limit: int = 100,
) -> ClassificationPage:
    """A page of the period's published results inside ``scope`` and the filters: class
    ``risk_level`` (A–D), ``region`` (a division-code prefix), ``industry`` (a GB/T 4754
    section letter or a division such as ``C13``), ``domain`` (a professional-supervision
    domain); ``limit`` 1–1000 rows after ``cursor``."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit: expected a whole number from 1 to {MAX_PAGE}, "
                             f"found {limit!r}")
    selection = _selection(scope, risk_level, region, industry, domain)
    run = _published(results, period)
    after = None if cursor is None else _decode_cursor(cursor, run)
    if selection is None:
        return ClassificationPage([], None, run)
    rows = results.result_page(run.run_id, after, limit + 1, selection)
    more = len(rows) > limit
    items = rows[:limit]
    return ClassificationPage(items, _encode_cursor(run.run_id, items[-1].uscc) if more
                              else None, run)


@dataclass(frozen=True)
class CsvExport:
    """A period's results as CSV, to be streamed: iterate it for the chunks (UTF-8)."""

    rows: int
    """Rows the export holds (counted when it was made, in the same publication)."""
    chunks: Iterator[bytes]

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks


def classification_csv(
    results: ResultsStore, period: dt.date, scope: Scope, *, risk_level: str | None = None,
    region: str | None = None, industry: str | None = None, domain: str | None = None,
) -> CsvExport:
    """The period's published results inside ``scope`` and the filters (as in
    `classification_page`) as CSV (`serving.results.export`): the header (`CSV_COLUMNS`),
    then the rows in uscc order, streamed from one query, so the period is never held in
    memory. Arguments are checked, and the publication chosen, before the first chunk."""
    selection = _selection(scope, risk_level, region, industry, domain)
    run = _published(results, period)
    if selection is None:
        return CsvExport(0, iter([(",".join(CSV_COLUMNS) + "\n").encode()]))
    return CsvExport(results.count_results(run.run_id, selection),
                     results.csv_chunks(run.run_id, selection))


def _selection(scope: Scope, risk_level: str | None, region: str | None,
               industry: str | None, domain: str | None) -> ResultSelection | None:
    """The filters as a store selection inside ``scope``; None when nothing can match."""
    if risk_level is not None and risk_level not in LEVELS:
        raise InvalidRequest(f"risk_level: expected one of {', '.join(LEVELS)}, "
                             f"found {risk_level!r}")
    section = division = None
    if industry is not None:
        if industry in BY_LETTER:
            section = industry
        elif isinstance(industry, str) and len(industry) == 3 and (
                industry in valid_industry_codes()):
            section, division = industry[0], industry
        else:
            raise InvalidRequest(
                "industry: expected a GB/T 4754 section letter (A to T) or a section letter "
                f"and one of its 2-digit divisions (e.g. C13), found {industry!r}")
    if domain is not None and domain not in DOMAINS:
        raise InvalidRequest(f"domain: expected one of {', '.join(DOMAINS)}, "
                             f"found {domain!r}")
    inside = scope.narrowed(region)
    if inside is None:
        return None
    return ResultSelection(risk_level=risk_level, region=inside.prefix,
                           industry_section=section, industry_division=division,
                           domain=domain)


def _published(results: ResultsStore, period: dt.date) -> RunInfo:
    run = results.published_run(period)
    if run is None:
        raise NotFound(f"no classification is published for {period}")
    return run


def _encode_cursor(run_id: str, uscc: str) -> str:
    return base64.urlsafe_b64encode(f"{run_id}/{uscc}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, run: RunInfo) -> str:
    """The last uscc of the previous page; refuses a cursor of another publication."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        run_id, uscc = text.split("/")
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise InvalidRequest(f"cursor: expected the next_cursor of a previous page, found "
                             f"{cursor!r}") from None
    if run_id != run.run_id:
        raise InvalidRequest(
            f"cursor: it belongs to another publication than the one now published for "
            f"{run.period} (run {run.run_id}); the period was republished or the cursor is "
            "of another period: start again without a cursor")
    return uscc

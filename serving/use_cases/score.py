"""Score enterprises: a table or file of feature rows, supplied rows, or enterprises of the
store by code at a date (their features computed on the spot, with their related parties)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from features.catalog import BY_NAME
from features.coverage import DateOutsideData
from features.enterprise_features import EnterpriseFeatures
from features.reference.uscc import uscc_problem
from models.classification import classify
from models.columns import ArrowColumns, Columns, PyColumns, columns_of
from models.explain.explanation import Explanation, explanations_of
from models.explain.points import Explainer
from models.feature_frame import FeatureTableError, InputWarning
from models.levels import LEVELS
from models.policy.judgement import FUSION_ID, RuleInputError, judge
from models.policy.profiles import Profile
from models.policy.rules import RuleSet
from models.registry import LoadedModel
from models.risk_model import RiskModel
from models.tables import read_table_file, write_table_file
from serving.use_cases.arguments import normal_uscc
from serving.use_cases.errors import InvalidRequest
from serving.use_cases.scope import WHOLE_PROVINCE, Scope


@dataclass(frozen=True)
class ScoredTable:
    table: pa.Table
    """The ``keep`` columns, then probability, model score and level, final score, risk
    level, class label and fired rules; the rules version and profile in its metadata."""
    class_counts: dict[str, int]
    """Rows per class label of the profile, in risk order."""
    model_version: str
    rules_version: str
    profile: str
    warnings: tuple[InputWarning, ...] = field(default=())
    """Feature columns read as missing wholesale (empty, or categories unseen in training)."""

    @property
    def rows(self) -> int:
        return self.table.num_rows


def score_table(
    model: LoadedModel, data: pa.Table, profile: Profile, keep: tuple[str, ...] = (),
    rules: RuleSet | None = None, as_of: dt.date | None = None, source: str = "table",
) -> ScoredTable:
    """Classify every row of ``data`` (feature columns named as in the catalog). Rules default
    to the model's own; ``as_of`` dates them when the table has no ``as_of`` column."""
    missing = [c for c in keep if c not in data.column_names]
    if missing:
        raise InvalidRequest(f"{source}: --keep names columns not in the table: "
                             f"{', '.join(missing)}")
    result = classify(model.model, data, profile, rules, as_of, source=source)
    classified = result.to_arrow()
    output = pa.table({**{c: data[c] for c in keep},
                       **{c: classified[c] for c in classified.column_names}})
    counts = dict.fromkeys(result.judgement.profile.labels_of(range(4)).tolist(), 0)
    for row in pc.value_counts(classified["class_label"]).to_pylist():
        counts[row["values"]] = row["counts"]
    return ScoredTable(output.replace_schema_metadata(classified.schema.metadata), counts,
                       model.version, result.judgement.rules_version,
                       result.judgement.profile.key,
                       tuple(model.model.spec.input_warnings(data, source)))


def score_file(
    model: LoadedModel, table: Path, out: Path, profile: Profile, keep: tuple[str, ...] = (),
    rules: RuleSet | None = None, as_of: dt.date | None = None,
) -> ScoredTable:
    """`score_table` from a CSV or Parquet file to another (format by ``out``'s extension;
    in CSV the fired rules are joined by ``;``). ``out`` may not be ``table`` itself."""
    if out.resolve() == table.resolve():
        raise InvalidRequest(f"--out {out} is the input table {table}: writing it would "
                             "replace the input; choose another output file")
    scored = score_table(model, read_table_file(table), profile, keep, rules, as_of,
                         source=str(table))
    output = scored.table
    if out.suffix.lower() == ".csv":
        output = output.set_column(output.column_names.index("fired_rules"), "fired_rules",
                                   pc.binary_join(output["fired_rules"], ";"))
    write_table_file(output.replace_schema_metadata(scored.table.schema.metadata), out)
    return scored


MAX_ENTERPRISES = 10_000
"""Enterprises scored in one call, at most."""
KEY_COLUMNS = ("uscc", "as_of")
"""Columns besides the features a supplied row may carry: the code (carried through to the
result) and the date the rules are judged at."""


@dataclass(frozen=True)
class FiredRule:
    """A rule (or the domain fusion) that fired for an enterprise."""

    rule_id: str
    reason_zh: str
    reason_en: str
    basis: str | None
    """The legal or policy basis the rules file gives."""
    bound: bool
    """True when it moved the class; a rule that fired without binding has 0 points."""
    points: float


@dataclass(frozen=True)
class EnterpriseScore:
    uscc: str | None
    as_of: dt.date | None
    probability: float
    model_score: float
    final_score: float
    model_level: str
    risk_level: str
    class_label: str
    """The profile's label of the final level (and ``colour`` its colour)."""
    colour: str
    fired_rules: tuple[FiredRule, ...]
    """In the order they apply (file order, then fusion)."""
    explanation: Explanation | None
    """Base points + Σ feature points + Σ rule points = final score (when asked for)."""


@dataclass(frozen=True)
class ScoredEnterprises:
    items: tuple[EnterpriseScore, ...]
    """The enterprises found, in the order asked."""
    missing: tuple[str, ...]
    """Codes asked for that name no enterprise alive at the date, in the order asked."""
    as_of: dt.date
    model_version: str
    rules_version: str
    profile: str
    store_version: str | None


def score_feature_rows(
    model: LoadedModel, rows: pa.Table | Columns, profile: Profile, *, explain: bool,
    explainer: Explainer | None = None, as_of: dt.date | None = None,
) -> list[EnterpriseScore]:
    """Score, judge and (with ``explain``) explain supplied feature rows, in input order.

    Columns are named as in the feature catalog; an optional ``uscc`` column is carried
    through, and an ``as_of`` column dates the rules row by row when ``as_of`` is not given.
    Pass ``explainer`` to reuse the model's compiled explanation tables across calls.
    """
    _require_rows(rows.num_rows, "rows")
    columns = columns_of(rows)
    _check_columns(model, columns)
    chain, rules = model.model, model.model.rules
    try:
        x = chain.spec.matrix(columns if isinstance(columns, PyColumns) else
                              columns.table if isinstance(columns, ArrowColumns) else rows, "rows")
        raw = chain.raw_of(x)
        probability, score = chain.calibrated(raw)
        judgement = judge(score, columns, rules, profile, as_of)
    except (FeatureTableError, RuleInputError) as error:
        raise InvalidRequest(str(error)) from None
    explanations = None
    if explain:
        attribution = (explainer or Explainer(chain)).attribute(x, raw)
        explanations = explanations_of(columns, attribution, judgement, rules)
    steps = [_step_text(rules, step) for step in judgement.step_ids]
    names = columns.column_names
    codes = columns.values("uscc") if "uscc" in names else [None] * rows.num_rows
    dates = (columns.values("as_of") if as_of is None and "as_of" in names
             else [as_of] * rows.num_rows)
    scores = []
    for i in range(rows.num_rows):
        level = int(judgement.final_level[i])
        fired = tuple(
            FiredRule(step, *steps[j], bound=bool(judgement.points[i, j] != 0),
                      points=float(judgement.points[i, j]))
            for j, step in enumerate(judgement.step_ids) if judgement.fired[i, j])
        scores.append(EnterpriseScore(
            uscc=codes[i], as_of=dates[i], probability=float(probability[i]),
            model_score=float(judgement.model_score[i]),
            final_score=float(judgement.final_score[i]),
            model_level=LEVELS[int(judgement.model_level[i])], risk_level=LEVELS[level],
            class_label=profile.label(level), colour=profile.levels[level].colour,
            fired_rules=fired, explanation=explanations[i] if explanations else None))
    return scores


def score_enterprises(
    features: EnterpriseFeatures, model: LoadedModel, usccs: Sequence[str],
    as_of: dt.date | None, profile: Profile, *, explain: bool,
    explainer: Explainer | None = None, scope: Scope = WHOLE_PROVINCE,
) -> ScoredEnterprises:
    """Score enterprises of the store from their features at ``as_of`` (None: the store's
    data end), computed from the records with only the related parties they need. Codes
    are read without surrounding spaces and in upper case; each may appear once. A code
    outside ``scope`` is reported missing, exactly as one the store does not hold."""
    codes = _codes(usccs)
    if scope != WHOLE_PROVINCE:
        regions = features.region_codes(codes)
        visible = [c for c in codes if scope.covers(regions.get(c))]
    else:
        visible = codes
    try:
        date = features.data_end if as_of is None else features.require_covered(as_of,
                                                                                 "as_of")
        few = features.compute(visible, date, option="as_of")
    except DateOutsideData as error:
        raise InvalidRequest(str(error)) from None
    found = (score_feature_rows(model, few.table, profile, explain=explain,
                                explainer=explainer, as_of=date)
             if few.table.num_rows else [])
    by_code = {score.uscc: score for score in found}
    return ScoredEnterprises(
        items=tuple(by_code[c] for c in codes if c in by_code),
        missing=tuple(c for c in codes if c not in by_code),
        as_of=date, model_version=model.version, rules_version=model.rules_version,
        profile=profile.key, store_version=features.version)


def feature_rows(rows: Sequence[Mapping[str, object]]) -> pa.Table | PyColumns:
    """Supplied feature rows (JSON objects) as `score_feature_rows` reads them: a few as
    Python values (`models.columns`), more, or of unusual values, as a table (`rows_table`);
    either way read alike."""
    _require_rows(len(rows), "rows")
    if any("as_of" in row for row in rows):
        rows = [{**row, "as_of": _iso_date(row["as_of"], i)} if "as_of" in row else row
                for i, row in enumerate(rows)]
    return PyColumns.of_dicts(rows) or rows_table(rows)


def rows_table(rows: Sequence[Mapping[str, object]]) -> pa.Table:
    """Supplied feature rows (JSON objects) as a table; a column whose values mix types is
    refused, naming it."""
    _require_rows(len(rows), "rows")
    names = list(dict.fromkeys(name for row in rows for name in row))
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        if name == "as_of":  # JSON carries dates as ISO text
            values = [_iso_date(v, i) for i, v in enumerate(values)]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, ValueError):
            # ValueError: Arrow's own for a date beside NaN ("cannot convert float NaN to
            # integer"), which JSON's NaN makes possible
            kinds = sorted({type(v).__name__ for v in values if v is not None})
            raise InvalidRequest(f"rows: column {name!r} mixes {', '.join(kinds)} values; "
                                 "expected one type per column") from None
    return pa.table(columns) if columns else pa.table({"_": pa.nulls(len(rows))}).drop(["_"])


def _iso_date(value: object, row: int) -> object:
    if not isinstance(value, str):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"rows: row {row}: 'as_of' expected a date (YYYY-MM-DD), found "
                             f"{value!r}") from None


def _require_rows(count: int, argument: str) -> None:
    if not 1 <= count <= MAX_ENTERPRISES:
        raise InvalidRequest(f"{argument}: expected 1 to {MAX_ENTERPRISES:,} enterprises, "
                             f"found {count:,}")


def _codes(usccs: Sequence[str]) -> list[str]:
    """The codes normalised, refusing malformed and repeated ones (naming them)."""
    if isinstance(usccs, str):
        raise InvalidRequest(f"usccs: expected a list of codes, found the text {usccs!r}")
    _require_rows(len(usccs), "usccs")
    codes = [normal_uscc(c) if isinstance(c, str) else c for c in usccs]
    bad = [(c, uscc_problem(c) if isinstance(c, str) else "text")
           for c in codes if not isinstance(c, str) or uscc_problem(c)]
    if bad:
        shown = "; ".join(f"{c!r}: expected {problem}" for c, problem in bad[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise InvalidRequest(f"usccs: {len(bad)} malformed codes: {shown}{more}")
    repeated = sorted(c for c, n in Counter(codes).items() if n > 1)
    if repeated:
        raise InvalidRequest(f"usccs: expected each code once, found repeated "
                             f"{', '.join(repeated[:5])}"
                             + (f" and {len(repeated) - 5} more" if len(repeated) > 5 else ""))
    return codes


def _check_columns(model: LoadedModel, rows: Columns) -> None:
    """Every feature the model and its rules read, no unknown column, each of its type."""
    needed, known = _input_columns(model.model)
    names = rows.column_names
    present = set(names)
    missing = [c for c in needed if c not in present]
    if missing:
        raise InvalidRequest(f"rows: expected feature columns {', '.join(missing)}; not found")
    unknown = [c for c in names if c not in known]
    if unknown:
        raise InvalidRequest(f"rows: unknown columns {', '.join(unknown)}: expected feature "
                             "names of the catalog, uscc or as_of")
    python = isinstance(rows, PyColumns)
    for name in names:
        expected = _EXPECTED_KIND.get(name, "numbers")
        if python and rows.kind_of(name) in _PYTHON_KINDS[expected]:
            continue  # a few supplied rows: their kinds read without building Arrow types
        kind = rows.type_of(name)
        if pa.types.is_null(kind) or _ARROW_KINDS[expected](kind):
            continue
        what = "'as_of': expected dates" if expected == "dates" else (
            f"{name!r}: expected {expected}")
        raise InvalidRequest(f"rows: column {what}, found {kind}{_first(rows.values(name))}")


_EXPECTED_KIND = {"uscc": "text", "as_of": "dates"} | {
    name: "text" for name, feature in BY_NAME.items() if feature.is_categorical}
"""What a supplied column must hold (the rest: numbers)."""
_PYTHON_KINDS = {"text": frozenset({"null", "text"}), "dates": frozenset({"null", "date"}),
                 "numbers": frozenset({"null", "bool", "int", "float"})}
_ARROW_KINDS = {
    "text": lambda kind: pa.types.is_string(kind) or pa.types.is_large_string(kind),
    "dates": pa.types.is_date,
    "numbers": lambda kind: (pa.types.is_integer(kind) or pa.types.is_floating(kind)
                             or pa.types.is_boolean(kind)),
}


def _input_columns(model: RiskModel) -> tuple[tuple[str, ...], frozenset[str]]:
    """The columns ``model`` and its rules read, and every column a row may carry: worked out
    once per model, its spec and its rules (not per request)."""
    key = (id(model), id(model.spec), id(model.rules))  # alive while cached: never reused
    cached = _INPUT_COLUMNS.get(key)
    if cached is not None:
        return cached[3]
    names = model.spec.names
    needed = (*names, *sorted(model.rules.features() - set(names)))
    found = needed, frozenset(BY_NAME) | frozenset(KEY_COLUMNS) | frozenset(names)
    if len(_INPUT_COLUMNS) >= 8:
        _INPUT_COLUMNS.clear()
    _INPUT_COLUMNS[key] = (model, model.spec, model.rules, found)
    return found


_INPUT_COLUMNS: dict[tuple[int, int, int], tuple[Any, Any, Any,
                                                 tuple[tuple[str, ...], frozenset[str]]]] = {}


def _first(values: list[object]) -> str:
    """Where the first value of a column is, and what it is."""
    for row, value in enumerate(values, start=1):
        if value is not None:
            return f" (row {row}: {value!r})"
    return ""


def _step_text(rules: RuleSet, step: str) -> tuple[str, str, str | None]:
    """Reason in 中文 and English, and the basis, of a rule id or the fusion."""
    if step == FUSION_ID:
        fusion = rules.fusion
        return (fusion.reason.zh, fusion.reason.en, fusion.basis) if fusion else ("", "", None)
    rule = rules.rule(step)
    return rule.reason.zh, rule.reason.en, rule.basis

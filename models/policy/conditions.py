"""Rule conditions: small, validated predicates over an enterprise's features, vectorised.

A condition is a comparison on one catalog feature, or ``all`` / ``any`` / ``not`` of others:

    {feature: penalties_36m, op: ">=", value: 1}
    {feature: industry_division, op: in, value: [C26, C27]}
    {feature: domain_risk_grade, op: present}
    {all: [..., ...]}   {any: [..., ...]}   {not: {...}}

A comparison with a missing value is false (as in SQL), whatever the operator; ``missing`` and
``present`` test for missing values explicitly. Features must be in the catalog, and the value
must suit the feature: text for categories, numbers for everything else. Conditions nest at
most `MAX_CONDITION_DEPTH` deep, checked before validation descends into them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from features.catalog import BY_NAME
from models.columns import Columns

BoolArray = npt.NDArray[np.bool_]
Scalar = float | int | str
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
OPERATORS = (*COMPARISONS, "in", "not_in", "missing", "present")
MAX_CONDITION_DEPTH = 16
"""How deeply all / any / not may nest; a comparison alone is depth 1."""
_NESTING = ("all", "any", "not", "all_of", "any_of", "negated")
"""The keys (YAML) and field names (models) that hold inner conditions."""


class Comparison(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    feature: str
    op: Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in", "missing", "present"]
    value: Scalar | list[Scalar] | None = None

    @model_validator(mode="after")
    def _suits_feature(self) -> Comparison:
        entry = BY_NAME.get(self.feature)
        if entry is None:
            raise ValueError(f"feature {self.feature!r} is not in the feature catalog")
        if self.op in ("missing", "present"):
            if self.value is not None:
                raise ValueError(f"op {self.op!r} takes no value, found {self.value!r}")
            return self
        listed = self.op in ("in", "not_in")
        if listed != isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} expects {'a list' if listed else 'one value'}, "
                             f"found {self.value!r}")
        values = self.value if isinstance(self.value, list) else [self.value]
        wanted = str if entry.is_categorical else (int, float)
        wrong = [v for v in values if not isinstance(v, wanted) or isinstance(v, bool)]
        if wrong or not values:
            kind = "text" if entry.is_categorical else "numbers"
            raise ValueError(f"feature {self.feature!r} ({entry.unit}) compares with {kind}, "
                             f"found {self.value!r}")
        if entry.is_categorical and self.op not in ("==", "!=", "in", "not_in"):
            raise ValueError(f"feature {self.feature!r} is a category: use ==, !=, in or "
                             f"not_in, found {self.op!r}")
        return self

    def features(self) -> set[str]:
        return {self.feature}

    def evaluate(self, columns: Columns) -> BoolArray:
        present = columns.valid(self.feature)
        if self.op in ("missing", "present"):
            return ~present if self.op == "missing" else present
        data = (columns.texts(self.feature) if BY_NAME[self.feature].is_categorical
                else columns.numbers(self.feature))
        return present & _compare(data, self.op, self.value)


def _compare(data: npt.NDArray[Any], op: str, value: Any) -> BoolArray:
    if op in ("in", "not_in"):
        member = np.isin(data, np.asarray(value, dtype=data.dtype))
        return member if op == "in" else ~member
    with np.errstate(invalid="ignore"):
        match op:
            case "==":
                return np.asarray(data == value, dtype=bool)
            case "!=":
                return np.asarray(data != value, dtype=bool)
            case "<":
                return data < value
            case "<=":
                return data <= value
            case ">":
                return data > value
            case _:
                return data >= value


class AllOf(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    all_of: list[Condition] = Field(alias="all", min_length=1)

    def features(self) -> set[str]:
        return set().union(*(c.features() for c in self.all_of))

    def evaluate(self, columns: Columns) -> BoolArray:
        return np.logical_and.reduce([c.evaluate(columns) for c in self.all_of])


class AnyOf(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    any_of: list[Condition] = Field(alias="any", min_length=1)

    def features(self) -> set[str]:
        return set().union(*(c.features() for c in self.any_of))

    def evaluate(self, columns: Columns) -> BoolArray:
        return np.logical_or.reduce([c.evaluate(columns) for c in self.any_of])


class Not(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    negated: Condition = Field(alias="not")

    def features(self) -> set[str]:
        return self.negated.features()

    def evaluate(self, columns: Columns) -> BoolArray:
        return ~self.negated.evaluate(columns)


def _condition_kind(raw: Any) -> str | None:
    """Which condition a YAML mapping is, by its key, so errors come from that kind alone."""
    if isinstance(raw, BaseModel):
        return type(raw).__name__
    if isinstance(raw, dict):
        for key, kind in (("feature", "Comparison"), ("all", "AllOf"), ("any", "AnyOf"),
                          ("not", "Not")):
            if key in raw:
                return kind
    return None


def _inner(node: Any) -> list[Any]:
    """The conditions directly inside ``node``, a YAML mapping or a condition model."""
    fields = node.__dict__ if isinstance(node, BaseModel) else node
    if not isinstance(fields, dict):
        return []
    found: list[Any] = []
    for key in _NESTING:
        value = fields.get(key)
        if isinstance(value, list | tuple):
            found.extend(value)
        elif value is not None:
            found.append(value)
    return found


def _within_depth(raw: Any) -> Any:
    """``raw`` as it is, or a ValueError when it nests deeper than `MAX_CONDITION_DEPTH`;
    level by level, without recursion."""
    level = [raw]
    for _ in range(MAX_CONDITION_DEPTH):
        level = [inner for node in level for inner in _inner(node)]
    if level:
        raise ValueError(f"conditions nest at most {MAX_CONDITION_DEPTH} levels deep "
                         "(all, any, not)")
    return raw


Condition = Annotated[
    Annotated[Comparison, Tag("Comparison")] | Annotated[AllOf, Tag("AllOf")]
    | Annotated[AnyOf, Tag("AnyOf")] | Annotated[Not, Tag("Not")],
    Discriminator(_condition_kind, custom_error_type="condition",
                  custom_error_message="expected a mapping with one of the keys feature, all, "
                                       "any or not"),
    BeforeValidator(_within_depth),
]
for _model in (AllOf, AnyOf, Not):
    _model.model_rebuild()

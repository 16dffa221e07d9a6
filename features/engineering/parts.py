"""The feature table as separate parts, each keyed by enterprise (its uscc, or for the parts
read from the event rows an integer key), for engines that put the columns side by side
instead of joining them (`features.part_assembly`).

The parts are the same definitions `features.engineering.build.assemble` joins; only the
way they meet differs. A chain of left joins copies every column joined so far at each step
(at 1,000,000 enterprises, DuckDB spent 29 of the record pass's 95 CPU seconds on 27 joins);
parts put side by side are each copied once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from features.engineering.build import basic_features, inspection_features
from features.engineering.generic import adverse_counts, event_rows, type_aggregates
from features.engineering.pit import AsOf
from features.engineering.records import (
    broad_part,
    detailed_part,
    listing_facts,
)
from features.engineering.related import (
    enterprise_flags,
    investment_features,
    person_link_features,
)

ENTERPRISE_KEY = "_key"
"""A small integer per enterprise (its row in uscc order among all enterprises), which the
event rows of the generic pass carry instead of the 18-character code: a third of their
memory, and cheaper to group by."""


@dataclass(frozen=True)
class FeatureParts:
    """The key table and the parts at one as-of date.

    ``basic`` has one row per enterprise alive at the date (the rows of the feature table);
    each part has at most one row per enterprise, keyed by ``uscc`` or by `ENTERPRISE_KEY`
    (whose values ``keys`` gives), and features of its own."""

    basic: ir.Table
    keys: ir.Table
    parts: Iterator[ir.Table]


def feature_parts(tables: dict[str, ir.Table], as_of: AsOf) -> FeatureParts:
    """The parts, yielded one at a time: what several parts read is materialised on the
    engine (``Table.cache``) and released as soon as the last of them has been yielded, so a
    caller that computes each part before asking for the next holds little at once."""
    enterprises = tables["enterprises"]
    keys = enterprises.select(
        "uscc", **{ENTERPRISE_KEY: ibis.row_number().over(order_by="uscc").cast("int32")}
    ).cache()
    return FeatureParts(basic_features(enterprises, as_of), keys,
                        _parts(tables, as_of, keys))


def _parts(tables: dict[str, ir.Table], as_of: AsOf, keys: ir.Table) -> Iterator[ir.Table]:
    records = tables["records"]
    held: list[ir.Table] = [keys]

    def cache(table: ir.Table) -> ir.Table:
        held.append(table.cache())
        return held[-1]

    def release(*tables: ir.Table) -> None:
        for table in tables:
            held.remove(table)
            table.release()

    try:
        events = cache(event_rows(records, as_of).join(keys, "uscc").drop("uscc"))
        adverse = cache(adverse_counts(events, ENTERPRISE_KEY).join(keys, ENTERPRISE_KEY)
                        .drop(ENTERPRISE_KEY))
        # The event rows are the most the engine holds: their parts come first, while few
        # columns are held beside them, widest first (a part's query briefly needs several
        # times its columns' size). At 1,000,000 enterprises this order peaked at 3.7 GiB;
        # the related-party parts first, 4.1 GiB.
        generic = [broad_part(events, ENTERPRISE_KEY), *type_aggregates(events, ENTERPRISE_KEY)]
        yield from sorted(generic, key=lambda part: -len(part.columns))
        release(events)
        detailed = cache(detailed_part(records, as_of))
        yield detailed
        facts = cache(listing_facts(detailed, adverse))
        release(detailed, adverse)
        flags = cache(enterprise_flags(tables["enterprises"], facts, as_of))
        release(facts)
        yield person_link_features(tables["relations"], flags, as_of)
        yield investment_features(tables["relations"], flags, as_of)
        release(flags)
        yield inspection_features(tables["inspections"], as_of)
    finally:
        for table in held:
            table.release()

"""The feature table put together part by part on a local engine, as Arrow.

`features.engineering.build.assemble` joins the parts into one expression, which any engine
can run (Spark does). On one machine that join chain is the dearest step: each of its ~30
left joins copies every column joined before it, and the engine then holds the whole table
twice (its own copy and the Arrow one) and sorts it. Here each part is computed on its own,
laid out on the rows of the alive enterprises in uscc order by a join with a narrow key table,
finalised (`build.finalise`) in the same query, and its columns set beside the others'.
The values are those of the joined expression (tests compare the two, column by column).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from features.catalog import CATALOG
from features.engineering.build import KEY_COLUMNS, finalise
from features.engineering.parts import ENTERPRISE_KEY, feature_parts
from features.engineering.pit import AsOf

POSITION = "_position"
"""The key table's row number: an alive enterprise's row in the feature table."""

UNITS = {feature.name: feature.unit for feature in CATALOG}


def features_by_parts(tables: dict[str, ir.Table], as_of: dt.date) -> pa.Table:
    """The feature table at ``as_of`` sorted by uscc: the columns and values of
    `build.features_at`'s expression sorted by uscc."""
    point = AsOf(as_of)
    found = feature_parts(tables, point)
    basic = found.basic
    alive = basic.select("uscc", **_finalised(basic, basic.columns)).to_pyarrow()
    alive = alive.take(pc.sort_indices(alive["uscc"]))
    rows = alive.num_rows
    columns: dict[str, pa.ChunkedArray] = {name: alive[name] for name in alive.column_names}
    by_code = ibis.memtable(pa.table({
        "uscc": alive["uscc"], POSITION: pa.array(np.arange(rows, dtype=np.int64)),
    }))
    by_key = by_code.join(found.keys, "uscc").drop("uscc").cache()
    try:
        for part in found.parts:
            on = by_key if ENTERPRISE_KEY in part.columns else by_code
            for name, column in _laid_out(part, on).items():
                if name in columns:
                    raise ValueError(f"feature {name!r} is in two parts")
                columns[name] = column
    finally:
        by_key.release()
    missing = [name for name in UNITS if name not in columns]
    if missing:
        raise ValueError(f"no part gives the features {', '.join(missing)}")
    as_of_column = pa.array(np.full(rows, np.datetime64(as_of, "D")), pa.date32())
    return pa.table([columns["uscc"], as_of_column, *(columns[name] for name in UNITS)],
                    names=[*KEY_COLUMNS, *UNITS])


def _finalised(table: ir.Table, names: Sequence[str]) -> dict[str, ir.Value]:
    """The catalog features among ``names``, read from ``table`` and finalised; other columns
    (keys, internal facts whose names start with ``_``) are left out."""
    return {name: finalise(table[name], UNITS[name]) for name in names if name in UNITS}


def _laid_out(part: ir.Table, positions: ir.Table) -> dict[str, pa.ChunkedArray]:
    """The part's features on the rows of ``positions`` (a key and `POSITION`), in their
    order (missing: no row)."""
    key = next(name for name in positions.columns if name != POSITION)
    joined = positions.left_join(part, key)
    features = _finalised(joined, part.columns)
    table = joined.select(joined[POSITION], **features).order_by(POSITION).to_pyarrow()
    return {name: table[name] for name in features}

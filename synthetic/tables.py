"""Turn the generator's numeric columns into Arrow tables with the contract's schemas."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from features.contract import (
    ENTERPRISE_STATUSES,
    ENTERPRISES,
    INSPECTION_RESULTS,
    INSPECTIONS,
    PARTY_KINDS,
    RECORDS,
    RELATION_ROLES,
    RELATIONS,
)
from features.reference.licences import LICENCE_CODES
from features.reference.record_types import DOMAINS
from synthetic.calendar import NO_DATE
from synthetic.chunks import OUTCOMES, TYPE_CODES, Columns
from synthetic.network import PERSON, Relations
from synthetic.params import TYPE_CODES as ENTERPRISE_TYPE_CODES
from synthetic.population import Enterprises
from synthetic.regions import Geography

HIDDEN_SCHEMA = pa.schema([
    pa.field("uscc", pa.string(), nullable=False),
    pa.field("hidden_risk", pa.float64(), nullable=False),
    pa.field("base_risk", pa.float64(), nullable=False),
])
_STRINGS = {name: pa.array(values, pa.string()) for name, values in (
    ("record_type", TYPE_CODES), ("outcome", OUTCOMES), ("domain", DOMAINS),
    ("status", ENTERPRISE_STATUSES), ("role", RELATION_ROLES), ("party_kind", PARTY_KINDS),
    ("result", INSPECTION_RESULTS), ("enterprise_type", ENTERPRISE_TYPE_CODES),
    ("licence_type", LICENCE_CODES),
)}


def dates(days: np.ndarray) -> pa.Array:
    """date32 array from day numbers (NO_DATE → null)."""
    days = np.asarray(days, np.int32)
    return pa.array(days, pa.int32(), mask=days == NO_DATE).cast(pa.date32())


def lookup(vocab: pa.Array, index: np.ndarray) -> pa.Array:
    """Strings of ``vocab`` at ``index`` (negative → null)."""
    index = np.asarray(index, np.int64)
    return pc.take(vocab, pa.array(index, pa.int64(), mask=index < 0))


def _floats(values: np.ndarray) -> pa.Array:
    values = np.asarray(values, np.float64)
    return pa.array(values, pa.float64(), mask=np.isnan(values))


def _list(offsets: np.ndarray, values: pa.Array, valid: np.ndarray | None = None) -> pa.Array:
    """List array from offsets; rows where ``valid`` is False are null."""
    mask = None if valid is None else pa.array(~valid)
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32), pa.int32()), values,
                                    mask=mask)


def records_table(rec: Columns, uscc: pa.Array, labels: pa.Array,
                  details: pa.Array, id_prefix: str) -> pa.Table:
    """The records of one month; ``record_id`` is ``id_prefix`` + the 11-digit sequence;
    ``rec["licence"]`` indexes licence types (-1 or absent: none)."""
    seq = pa.array(rec["seq"], pa.int64()).cast(pa.string())
    severity = rec["severity"].astype(np.int16)
    arrays = [
        pc.binary_join_element_wise(id_prefix, pc.utf8_lpad(seq, 11, "0"), ""),
        lookup(uscc, rec["ent"]),
        lookup(_STRINGS["record_type"], rec["rtype"]),
        dates(rec["occurred"]),
        dates(rec["collected"]),
        lookup(labels, rec["label"]),
        pa.array(severity, pa.int16(), mask=severity == 0),
        _floats(rec["amount"]),
        lookup(_STRINGS["outcome"], rec["outcome"]),
        lookup(_STRINGS["domain"], rec["domain"]),
        lookup(_STRINGS["licence_type"], rec.get("licence", np.full(len(seq), -1))),
        dates(rec["removed"]),
        dates(rec["repaired"]),
        dates(rec["revoked"]),
        lookup(details, rec["details"]),
    ]
    return pa.Table.from_arrays(arrays, schema=RECORDS.arrow_schema())


def enterprises_table(ent: Enterprises, geo: Geography, status: np.ndarray,
                      death: np.ndarray) -> pa.Table:
    bits = ((ent.tags[:, None] >> np.arange(len(DOMAINS))) & 1).astype(bool)
    counts = bits.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    values = lookup(_STRINGS["domain"], np.nonzero(bits)[1])
    ended = np.where(status == 0, NO_DATE, death)
    arrays = [
        ent.uscc,
        ent.name,
        lookup(pa.array(geo.codes, pa.string()), ent.region),
        lookup(pa.array(ent.industry_codes, pa.string()), ent.industry),
        lookup(_STRINGS["enterprise_type"], ent.type_idx),
        _floats(ent.capital),
        dates(ent.established),
        lookup(_STRINGS["status"], status),
        dates(ended),
        _list(offsets, values, valid=counts > 0),
    ]
    return pa.Table.from_arrays(arrays, schema=ENTERPRISES.arrow_schema())


def relations_table(rel: Relations, uscc: pa.Array) -> pa.Table:
    order = np.lexsort((rel.started, rel.role, rel.ent))
    kind = rel.party_kind[order]
    party = rel.party[order]
    party_ids = pa.concat_arrays([rel.person_ids, uscc])
    index = np.where(kind == PERSON, party, rel.n_persons + party)
    arrays = [
        lookup(uscc, rel.ent[order]),
        lookup(_STRINGS["role"], rel.role[order]),
        lookup(_STRINGS["party_kind"], kind),
        lookup(party_ids, index),
        _floats(rel.share[order]),
        dates(rel.started[order]),
        dates(rel.ended[order]),
    ]
    return pa.Table.from_arrays(arrays, schema=RELATIONS.arrow_schema())


def inspections_table(cols: Columns, items: np.ndarray, draws: pa.Array, uscc: pa.Array,
                      labels: pa.Array, item_names: pa.Array,
                      inspector_ids: pa.Array | None = None) -> pa.Table:
    offsets = np.concatenate([[0], np.cumsum(cols["n_items"].astype(np.int64))])
    arrays = [
        lookup(draws, cols["draw"]),
        lookup(uscc, cols["ent"]),
        dates(cols["day"]),
        _list(offsets, lookup(item_names, items)),
        lookup(_STRINGS["result"], cols["result"]),
        lookup(labels, cols["dept"]),
        inspector_ids if inspector_ids is not None else pa.nulls(len(cols["ent"]),
                                                                  pa.list_(pa.string())),
    ]
    return pa.Table.from_arrays(arrays, schema=INSPECTIONS.arrow_schema())


def hidden_table(uscc: pa.Array, hidden: np.ndarray, base: np.ndarray) -> pa.Table:
    return pa.Table.from_arrays(
        [uscc, pa.array(hidden, pa.float64()), pa.array(base, pa.float64())], schema=HIDDEN_SCHEMA
    )

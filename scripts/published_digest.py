"""Digest of what a results store has published: one sha256 per table and period.

Every column of every published row except the run id and timestamps (which differ between
two runs of the same work) goes into the digest, rows in key order, so two stores that
published the same values print the same lines. Used to show that a refactoring changed no
stored value:

    python scripts/published_digest.py sqlite:///data/demo/results.db > before.txt
    … change the code, run the same steps …
    python scripts/published_digest.py sqlite:///data/demo/results.db | diff before.txt -
"""

from __future__ import annotations

import hashlib
import json
import sys

import sqlalchemy as sa

SKIPPED = {"run_id", "started_at", "finished_at", "published_at", "mlflow_run_id",
           "recorded_at"}
TABLES = {"results": ("uscc",), "warnings": ("uscc",),
          "region_risk": ("level", "region", "industry_section"), "period_analysis": (),
          "warning_dispositions": ("disposition_id",)}


def digest(url: str) -> list[str]:
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    publications = metadata.tables["publications"]
    lines = []
    with engine.connect() as connection:
        published = connection.execute(
            sa.select(publications.c.period, publications.c.run_id)
            .order_by(publications.c.period)).all()
        for period, run_id in published:
            for name, keys in TABLES.items():
                table = metadata.tables[name]
                columns = [c for c in table.columns if c.name not in SKIPPED]
                rows = connection.execute(
                    sa.select(*columns).where(table.c.run_id == run_id)
                    .order_by(*(table.c[k] for k in keys))).all()
                payload = json.dumps([list(r) for r in rows], default=str, sort_keys=True)
                lines.append(f"{period} {name} rows={len(rows)} "
                             f"sha256={hashlib.sha256(payload.encode()).hexdigest()[:24]}")
    return lines


if __name__ == "__main__":
    print("\n".join(digest(sys.argv[1])))

"""Migration 0004 on SQLite and PostgreSQL: a store at 0003 with published regional risk
upgrades (cells carried over as prefecture level) and downgrades (cells carried back)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from serving.results.store import MIGRATIONS, ResultsStore

PERIOD = dt.date(2025, 12, 31)
CELL = {"run_id": "run-1", "prefecture": "410100", "industry_section": "C", "period": PERIOD,
        "enterprises": 40, "share_c_or_d": 0.25, "mean_score": 412.5,
        "mean_score_change": -3.25}


def migrate(store: ResultsStore, revision: str, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def rows(store: ResultsStore, table: str) -> list[dict[str, object]]:
    with store.engine.connect() as connection:
        return [dict(r) for r in connection.execute(sa.text(f"SELECT * FROM {table}"))
                .mappings()]


def test_0004_upgrades_a_store_with_regional_risk_and_downgrades(database_url: str) -> None:
    store = ResultsStore(database_url)
    migrate(store, "0003")
    with store.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO classification_runs (run_id, period, kind, status, model_uri, "
            "model_version, rules_version, profile, data_fingerprint, store_version, rows, "
            "started_at) VALUES ('run-1', :period, 'monthly', 'published', 'models:/m', 'm/1', "
            "'r1', 'henan', 'sha256:x', 'v1', 1, :now)"),
            {"period": PERIOD, "now": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)})
        connection.execute(sa.text(
            "INSERT INTO regional_risk VALUES (:run_id, :prefecture, :industry_section, "
            ":period, :enterprises, :share_c_or_d, :mean_score, :mean_score_change)"), CELL)
    migrate(store, "0004")
    inspector = sa.inspect(store.engine)
    assert "regional_risk" not in inspector.get_table_names()
    assert {"county", "industry_division", "domain_tags"} <= {
        c["name"] for c in inspector.get_columns("results")}
    assert dated_as_text(rows(store, "region_risk")) == [{
        "run_id": "run-1", "level": "prefecture", "region": "410100",
        "industry_section": "C", "period": str(PERIOD), "enterprises": 40,
        "share_c_or_d": 0.25, "mean_score": 412.5, "share_c_or_d_change": None,
        "mean_score_change": -3.25, "high_risk": None}]
    assert [c.high_risk for c in store.region_risk_of("run-1")] == [None]
    assert store.region_risk_of("run-1", "county") == []
    migrate(store, "0003", down=True)
    inspector = sa.inspect(store.engine)
    assert {"region_risk", "warning_dispositions"}.isdisjoint(inspector.get_table_names())
    assert "county" not in {c["name"] for c in inspector.get_columns("results")}
    assert dated_as_text(rows(store, "regional_risk")) == [{**CELL, "period": str(PERIOD)}]
    store.migrate()  # and up again
    assert len(store.region_risk_of("run-1")) == 1



def dated_as_text(found: list[dict[str, object]]) -> list[dict[str, object]]:
    """Raw rows with the period as text (SQLite gives raw dates back as text)."""
    return [{**r, "period": str(r["period"])} for r in found]

"""One configuration for every face: where the store, the models and the results live.

`Settings` holds every deployment default. Values come from, in order of precedence: the
arguments given (a command-line flag), the environment (``ECR_*``, plus the conventional
``DATABASE_URL`` and ``MLFLOW_TRACKING_URI``), and the defaults below, which need no server.
Nothing is read at import time: build a `Settings` when a command or the service starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REGISTERED_MODEL = "enterprise-credit-risk"
"""The registered model's name in the MLflow registry."""
CHAMPION = "champion"
"""The registry alias that serving uses unless told otherwise."""


class Settings(BaseSettings):
    """Deployment settings; ``Settings.resolve(store=flag, …)`` applies command-line flags."""

    model_config = SettingsConfigDict(env_prefix="ECR_", frozen=True, extra="ignore",
                                      populate_by_name=True)

    store: Path = Field(Path("data/store"), description="Store directory (ECR_STORE).")
    tracking_uri: str = Field(
        "sqlite:///mlruns/mlflow.db",
        validation_alias=AliasChoices("ECR_TRACKING_URI", "MLFLOW_TRACKING_URI"),
        description="MLflow tracking store and registry (ECR_TRACKING_URI or "
                    "MLFLOW_TRACKING_URI); artifacts go beside a SQLite file.")
    database_url: str = Field(
        "sqlite:///data/results.db",
        validation_alias=AliasChoices("ECR_DATABASE_URL", "DATABASE_URL"),
        description="Results store (ECR_DATABASE_URL or DATABASE_URL), SQLite or "
                    "PostgreSQL (postgresql+psycopg://user@host/db).")
    model_uri: str = Field(f"models:/{REGISTERED_MODEL}@{CHAMPION}",
                           description="Model that scores and classifies (ECR_MODEL_URI).")
    profile: str | None = Field(
        None, description="Jurisdiction profile (ECR_PROFILE); unset: the profiles file's "
                          "default, henan.")

    secret_file: Path = Field(
        Path("data/service.secret"),
        description="Server secret that API keys are hashed with (ECR_SECRET_FILE); created "
                    "owner-only on first use. Losing it invalidates every key.")
    secret: SecretStr | None = Field(
        None, description="Server secret itself (ECR_SECRET), at least 32 characters; wins "
                          "over the secret file. Never shown.")
    host: str = Field("127.0.0.1", description="Address `ecr serve` listens on (ECR_HOST).")
    port: int = Field(8000, description="Port of `ecr serve` (ECR_PORT).")
    workers: int = Field(2, ge=1, description="uvicorn worker processes (ECR_WORKERS).")
    rate_limit: str = Field(
        "1200/minute", description="Requests per API key (ECR_RATE_LIMIT), in-process, in the "
                                   "`limits` notation.")
    max_score_rows: int = Field(10_000, ge=1, description="Enterprises per POST /v1/scores.")
    database_pool_size: int = Field(
        40, ge=1, le=1000,
        description="Results-database connections a service worker keeps open "
                    "(ECR_DATABASE_POOL_SIZE): as many as the threads that may read or write "
                    "at once (AnyIO's 40), so that none is opened and closed per request "
                    "under load. On PostgreSQL, workers × this must stay below the server's "
                    "max_connections.")
    items_catalogue: Path | None = Field(
        None, description="Inspection items catalogue (ECR_ITEMS_CATALOGUE); unset: the "
                          "shipped serving/sampling/items.yaml.")
    draw_recent_months: int = Field(
        6, ge=0, description="An enterprise inspected or drawn within this many months is "
                             "drawn only when its class needs it (ECR_DRAW_RECENT_MONTHS).")
    draw_inspectors: int = Field(2, ge=1, description="Inspectors per target "
                                                      "(ECR_DRAW_INSPECTORS).")
    draw_workload_cap: int = Field(20, ge=1, description="Most targets per inspector in one "
                                                         "draw (ECR_DRAW_WORKLOAD_CAP).")
    draw_avoid_months: int = Field(
        12, ge=0, description="An inspector who inspected an enterprise within this many "
                              "months is kept away from it (回避, ECR_DRAW_AVOID_MONTHS).")
    page_idle_minutes: int = Field(
        30, ge=1, description="A page session ends after this long without a request "
                              "(ECR_PAGE_IDLE_MINUTES).")
    page_session_hours: int = Field(
        8, ge=1, description="A page session ends this long after login, used or not "
                             "(ECR_PAGE_SESSION_HOURS).")
    secure_cookies: bool = Field(
        False, description="Mark the pages' cookies Secure (ECR_SECURE_COOKIES): set it when "
                           "the service is reached over https through a proxy; a request "
                           "that arrives over https gets them Secure anyway.")
    page_language: str = Field("zh", pattern="^(zh|en)$",
                               description="The pages' language until a user switches "
                                           "(ECR_PAGE_LANGUAGE): zh or en.")
    materialise_features: bool = Field(
        True, description="Compute every enterprise's features at the store's data end once "
                          "per store version, in the background, so that scoring and "
                          "explaining by code now is a lookup (ECR_MATERIALISE_FEATURES).")
    engine: str = Field(
        "duckdb", description="Where `ecr classify` computes features and scores "
                              "(ECR_ENGINE): duckdb, in-process; spark, on a Spark master.")
    spark_master: str = Field(
        "local[*]", description="Spark master for --engine spark (ECR_SPARK_MASTER): local[*], "
                                "local[N] or spark://HOST:PORT.")
    spark_work_dir: Path = Field(
        Path("data/spark"), description="Where a Spark run writes its feature and result "
                                        "Parquet files before loading them "
                                        "(ECR_SPARK_WORK_DIR); on a cluster, a path the "
                                        "executors and this process share. Removed after "
                                        "the run.")
    retention_periods: int | None = Field(
        None, ge=1, description="Published periods kept by `ecr results prune` "
                                "(ECR_RETENTION_PERIODS): the newest N; unset keeps every "
                                "period.")
    repair_facts: int = Field(
        12, ge=1, le=100, description="Facts the repair guidance re-scores one by one, most "
                                      "recent first (ECR_REPAIR_FACTS).")

    @classmethod
    def resolve(cls, **overrides: Any) -> Settings:
        """Settings from the environment, with every override that is not None on top."""
        return cls(**{key: value for key, value in overrides.items() if value is not None})

"""The model being served and its reloads."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class ModelPublic(BaseModel):
    name: str = Field(examples=["enterprise-credit-risk"])
    version: str = Field(description="name/version in the MLflow registry",
                         examples=["enterprise-credit-risk/3"])
    uri: str = Field(examples=["models:/enterprise-credit-risk/3"])
    run_id: str | None = Field(None, description="The MLflow run that trained it.")
    rules_version: str
    profile: str = Field(examples=["henan"])
    data_cutoff: dt.date | None = Field(None, description="The store's last collection date.")
    store_version: str | None = None
    loaded_at: dt.datetime


class ReloadPublic(BaseModel):
    state: str = Field(description="idle, loading, failed or done", examples=["loading"])
    target: str | None = Field(None, examples=["models:/enterprise-credit-risk@champion"])
    version: str | None = None
    error: str | None = None
    finished_at: dt.datetime | None = None


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    status: str = Field(examples=["ready"])
    checks: dict[str, str] = Field(examples=[{"store": "ok", "results": "ok", "model": "ok"}])

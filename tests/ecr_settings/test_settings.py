"""One configuration: defaults need no server, the environment overrides them, flags win."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecr_settings import Settings

VARIABLES = ("ECR_STORE", "ECR_TRACKING_URI", "MLFLOW_TRACKING_URI", "ECR_DATABASE_URL",
             "DATABASE_URL", "ECR_MODEL_URI", "ECR_PROFILE", "ECR_SECRET", "ECR_SECRET_FILE")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_embedded_defaults() -> None:
    settings = Settings()
    assert settings.store == Path("data/store")
    assert settings.tracking_uri == "sqlite:///mlruns/mlflow.db"
    assert settings.database_url == "sqlite:///data/results.db"
    assert settings.model_uri == "models:/enterprise-credit-risk@champion"
    assert settings.profile is None


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECR_STORE", "/srv/store")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("ECR_MODEL_URI", "models:/enterprise-credit-risk/3")
    monkeypatch.setenv("ECR_PROFILE", "hohhot")
    settings = Settings()
    assert settings.store == Path("/srv/store")
    assert settings.tracking_uri == "sqlite:///elsewhere.db"
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.model_uri == "models:/enterprise-credit-risk/3"
    assert settings.profile == "hohhot"


def test_the_project_variable_wins_over_the_conventional_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///conventional.db")
    monkeypatch.setenv("ECR_DATABASE_URL", "sqlite:///project.db")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///conventional-mlflow.db")
    monkeypatch.setenv("ECR_TRACKING_URI", "sqlite:///project-mlflow.db")
    settings = Settings()
    assert settings.database_url == "sqlite:///project.db"
    assert settings.tracking_uri == "sqlite:///project-mlflow.db"


def test_flags_override_the_environment_and_none_means_not_given(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECR_STORE", "/srv/store")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///env.db")
    settings = Settings.resolve(store=Path("flag-store"), database_url=None)
    assert settings.store == Path("flag-store")
    assert settings.database_url == "sqlite:///env.db"


def test_settings_are_frozen() -> None:
    with pytest.raises(ValueError, match="frozen"):
        Settings().store = Path("x")  # type: ignore[misc]


def test_secret_comes_from_the_environment_and_is_never_shown(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().secret is None
    assert Settings().secret_file == Path("data/service.secret")
    monkeypatch.setenv("ECR_SECRET", "s3cr3t-" * 6)
    settings = Settings()
    assert settings.secret is not None and settings.secret.get_secret_value() == "s3cr3t-" * 6
    assert "s3cr3t" not in repr(settings) and "s3cr3t" not in str(settings.model_dump())

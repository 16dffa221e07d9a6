"""What every command shares: the consoles, one error exit, the common options, and openers
that turn settings into loaded objects (a store, a results store, a model, a profile) or into
a one-line error.

`console` reads rich markup (``[bold]…[/]``) and emoji codes (``:warning:``) in strings. Any
line or cell holding text a command did not write itself — from a rules or profiles file, the
store, the results store, an argument — is built with `verbatim` instead, so ``[/]`` in a rule's
reason is shown as it is rather than failing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from ecr_settings import Settings

if TYPE_CHECKING:
    from features.store import Store
    from models.policy.profiles import Profile
    from models.registry import LoadedModel, ModelRegistry
    from serving.results.store import ResultsStore

console = Console()
errors = Console(stderr=True)

StoreOption = Annotated[Path | None, typer.Option(
    "--store", help="Store directory. Default: $ECR_STORE or data/store.")]
TrackingOption = Annotated[str | None, typer.Option(
    "--tracking-uri", help="MLflow tracking store. Default: $ECR_TRACKING_URI, "
                           "$MLFLOW_TRACKING_URI or sqlite:///mlruns/mlflow.db.")]
DatabaseOption = Annotated[str | None, typer.Option(
    "--database-url", help="Results store. Default: $ECR_DATABASE_URL, $DATABASE_URL or "
                           "sqlite:///data/results.db; PostgreSQL by URL.")]
ModelOption = Annotated[str | None, typer.Option(
    "--model", help="Model URI. Default: $ECR_MODEL_URI or "
                    "models:/enterprise-credit-risk@champion.")]
ProfileOption = Annotated[str | None, typer.Option(
    "--profile", help="Jurisdiction profile: cut points and class labels (henan, ningxia, "
                      "hohhot). Default: $ECR_PROFILE or henan.")]


def verbatim(text: object, style: str = "") -> Text:
    """``str(text)`` as rich `Text` in ``style``, printed as it is: never read as markup or
    emoji codes. ``Text + str`` appends the string as it is too: ``verbatim(uscc, "bold") +
    f" as of {date}"``."""
    return Text(str(text), style=style)


def fail(message: object) -> typer.Exit:
    """Print ``error: message`` on one stderr line; raise the returned exit (code 2)."""
    errors.print(verbatim(f"error: {message}"), highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def warn(message: object) -> None:
    """Print ``warning: message`` on one stderr line; the command goes on."""
    errors.print(f"warning: {message}", markup=False, highlight=False, soft_wrap=True)


def settings(**flags: object) -> Settings:
    """The settings, with the command's flags (those given) over the environment."""
    return Settings.resolve(**flags)


def parse_date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"expected a date YYYY-MM-DD, found {text!r}",
                                 param_hint=option) from None


def require_store(config: Settings) -> Store:
    """The store; exit 2 with a one-line message when nothing is published yet."""
    from features.store import Store

    opened = Store(config.store)
    if opened.version is None:
        raise fail(f"{config.store}: empty store; run `ecr ingest` first")
    return opened


def open_results(config: Settings) -> ResultsStore:
    """The migrated results store, or a one-line error naming the (masked) URL that cannot
    be used."""
    import sqlalchemy as sa

    from serving.results.store import ResultsStore, ResultsStoreError, masked_url

    try:
        return ResultsStore(config.database_url).migrate()
    except ResultsStoreError as error:
        raise fail(error) from None
    except (sa.exc.SQLAlchemyError, ValueError) as error:
        detail = str(error).splitlines()[0]
        raise fail(f"results store {masked_url(config.database_url)}: cannot open it: "
                   f"{detail}") from None


def open_registry(config: Settings, check: bool = True) -> ModelRegistry:
    """The MLflow store the settings name, never creating one (only `ecr train` does): a
    SQLite file that does not exist is a one-line error, now or (``check=False``) when the
    store is first needed."""
    from models.registry import ModelRegistry

    registry = ModelRegistry(config.tracking_uri)
    if check:
        try:
            registry.require_store()
        except ValueError as error:
            raise fail(error) from None
    return registry


def load_model(config: Settings) -> LoadedModel:
    """The model ``config.model_uri`` names, or a one-line error."""
    import mlflow

    try:
        return open_registry(config, check=False).load(config.model_uri)
    except mlflow.exceptions.MlflowException as error:
        raise fail(f"cannot load model {config.model_uri}: {error.message}") from None
    except ValueError as error:
        raise fail(error) from None


def jurisdiction(config: Settings) -> Profile:
    """The profile ``config.profile`` names (the profiles file's default when unset)."""
    from models.policy.common import PolicyFileError
    from models.policy.profiles import profile

    try:
        return profile(config.profile)
    except PolicyFileError as error:
        raise fail(error) from None

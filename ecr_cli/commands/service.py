"""`ecr serve`: the HTTP service on the embedded defaults."""

from __future__ import annotations

from typing import Annotated

import typer

from ecr_cli.common import (
    DatabaseOption,
    ModelOption,
    ProfileOption,
    StoreOption,
    TrackingOption,
    fail,
    settings,
)


def serve_command(
    host: Annotated[str | None, typer.Option(help="Address to listen on [127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [8000].")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="uvicorn workers [2].")] = None,
    store: StoreOption = None, tracking_uri: TrackingOption = None,
    database_url: DatabaseOption = None, model: ModelOption = None,
    profile: ProfileOption = None,
) -> None:
    """Serve scores, classifications and explanations over HTTP (API keys: `ecr keys`)."""
    from serving.api.launch import serve

    config = settings(host=host, port=port, workers=workers, store=store,
                      tracking_uri=tracking_uri, database_url=database_url, model_uri=model,
                      profile=profile)
    try:
        serve(config)
    except (OSError, ValueError) as error:
        raise fail(error) from None

"""The regulator pages: a face beside the JSON API, served by the same service.

Server-rendered (Jinja2) pages over the same use cases, keys, region limits and audit log as
the API; htmx for filters and pagination, Apache ECharts for the charts, every asset shipped
in ``static/`` (no CDN). `mount_pages` adds the routes and the static files to an app.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from serving.pages.render import STATIC, STATIC_PATH
from serving.pages.routes import router


class _Assets(StaticFiles):
    """The vendored scripts and styles, cacheable for an hour (they hold no result)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (b"cache-control", b"max-age=3600")]
            await send(message)

        await super().__call__(scope, receive, sending)


def mount_pages(app: FastAPI) -> None:
    """Add the pages (under ``/pages``, with ``/`` sent there) and their assets (under
    ``/assets``) to ``app``."""

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        """The regulator pages (their login without a session)."""
        return RedirectResponse("/pages/", status_code=303)

    app.include_router(router)
    app.mount(STATIC_PATH, _Assets(directory=STATIC), name="assets")

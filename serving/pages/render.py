"""Templates to HTML responses, with the pages' own security headers.

The pages load scripts and styles from the service itself only: the Content-Security-Policy
allows ``'self'`` and nothing inline (no ``unsafe-inline``, no ``unsafe-eval``); a chart's
numbers travel in a ``<script type="application/json">`` block, which is data, never run.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from serving.pages.i18n import translate
from serving.pages.views import industry_name, region_name

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
STATIC_PATH = "/assets"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; object-src 'none'")
HEADERS = {"content-security-policy": CSP, "cache-control": "no-store",
           "x-frame-options": "DENY", "referrer-policy": "no-referrer",
           "x-content-type-options": "nosniff"}


@cache
def environment() -> Environment:
    """The templates' environment (autoescaped HTML; an undefined name is an error)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["score"] = lambda v: "—" if v is None else f"{v:,.2f}"
    env.filters["signed"] = lambda v: "—" if v is None else f"{v:+,.2f}"
    env.filters["percent"] = lambda v: "—" if v is None else f"{100 * v:.1f}%"
    env.filters["pp"] = lambda v: "—" if v is None else f"{100 * v:+.1f} pp"
    env.filters["day"] = lambda v: "—" if v is None else (
        v.isoformat() if isinstance(v, dt.date) else str(v))
    env.filters["exact"] = lambda v: repr(float(v))
    env.globals["region_name"] = region_name
    env.globals["industry_name"] = industry_name
    return env


def render(request: Request, template: str, language: str, status: int = 200,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """``template`` rendered in ``language`` with ``context``."""
    html = environment().get_template(template).render(
        t=lambda key: translate(key, language), lang=language, static=STATIC_PATH,
        path=request.url.path, **context)
    return HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})

"""Who is looking at a page: the session cookie, the key behind it, its region and language.

Every page but the login declares `page_caller`. Without a live session (none, ended, idle
too long, past its lifetime) or with a key that has since expired or been revoked, it raises
`LoginRequired`, which the pages' route class answers with a redirect to the login page. It
also fills the audit entry of the request (key, role, permission, outcome), applies the key's
rate limit, and checks the CSRF token of a form (`checked_form`).
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import Depends, Request

from serving.access.keys import ApiKey, Unauthenticated
from serving.access.roles import Permission
from serving.access.sessions import PageSession, PageSessions
from serving.api.security import admit
from serving.api.state import ServiceState
from serving.pages.i18n import LANGUAGES
from serving.use_cases.scope import Scope

SESSION_COOKIE = "ecr_session"
LANGUAGE_COOKIE = "ecr_lang"
LOGIN_CSRF_COOKIE = "ecr_login_csrf"
PAGES_PERMISSION = Permission.READ_EXPLANATIONS
"""A key may log in to the pages when its role may read explanations (regulators)."""
MAX_FORM = 65_536
"""Largest form body taken (a disposition note of 4,000 CJK characters is ~36 KB encoded)."""


class LoginRequired(Exception):
    """No live session: the route class redirects to the login page."""


class PageRefused(Exception):
    """A request the pages refuse with a status and a message (403, 429, a bad form)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


@dataclass(frozen=True)
class PageCaller:
    key: ApiKey
    scope: Scope
    session: PageSession
    language: str

    @property
    def csrf(self) -> str:
        return self.session.csrf


def sessions(request: Request) -> PageSessions:
    """The service's page sessions (in the results database, shared by every worker)."""
    return request.app.state.service.sessions


def language_of(request: Request) -> str:
    """The language the browser chose, else the settings' default."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.app.state.service.settings.page_language


def page_caller(permission: Permission) -> Callable[..., PageCaller]:
    """A dependency: the caller of a page that needs ``permission``."""

    async def dependency(request: Request) -> PageCaller:
        state: ServiceState = request.app.state.service
        state.models.follow()
        audit = request.state.audit
        audit.permission = permission.value
        now = dt.datetime.now(dt.UTC)
        session = sessions(request).find(request.cookies.get(SESSION_COOKIE), now)
        if session is None:
            audit.outcome = "unauthenticated: no session"
            raise LoginRequired()
        try:
            key = state.keys.current(session.key_id, now)
        except Unauthenticated as error:
            audit.outcome = f"unauthenticated: {error.reason}"
            sessions(request).end(request.cookies.get(SESSION_COOKIE))
            raise LoginRequired() from None
        refused = admit(state, key, permission, audit)
        if refused is not None:
            raise PageRefused(refused.status, refused.detail, refused.headers)
        return PageCaller(key, Scope(key.region), session, language_of(request))

    return dependency


async def form_of(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as one value per field."""
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind != "application/x-www-form-urlencoded":
        raise PageRefused(415, "expected a form (application/x-www-form-urlencoded)")
    body = await request.body()
    if len(body) > MAX_FORM:
        raise PageRefused(413, f"a form may hold at most {MAX_FORM} bytes")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise PageRefused(400, "the form is not UTF-8") from None
    return {name: values[-1] for name, values in fields.items()}


def same_token(expected: str | None, presented: str | None) -> bool:
    return bool(expected) and bool(presented) and hmac.compare_digest(
        expected.encode(), (presented or "").encode())


def checked_form(permission: Permission) -> Callable[..., tuple[PageCaller, dict[str, str]]]:
    """A dependency for a form posted in a session: the caller and the fields, once the
    form's CSRF token matches the session's (else 403)."""

    async def dependency(request: Request,
                         caller: PageCaller = Depends(page_caller(permission))
                         ) -> tuple[PageCaller, dict[str, str]]:
        fields = await form_of(request)
        if not same_token(caller.csrf, fields.get("csrf")):
            request.state.audit.outcome = "csrf token missing or wrong"
            raise PageRefused(403, "the form's CSRF token is missing or wrong: reload the "
                                   "page and send the form again")
        return caller, fields

    return dependency

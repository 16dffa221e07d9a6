"""Who is calling: the API key in ``Authorization: Bearer KEY``, its role and its region.

`require(permission)` is the dependency every route but ``/healthz`` declares. It
authenticates the key (`serving.access.keys.KeyRing`: a keyed hash compared in constant time),
checks the role's permission (`serving.access.roles`), applies the key's rate limit, and
records who called for the audit log. A missing, malformed, unknown, expired or revoked key
answers 401 with one message that does not say which (the reason goes to the audit log); a
key without the permission answers 403. The key's region becomes the `Scope` the use cases
filter by, so an enterprise outside it is "not found".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serving.access.keys import ApiKey, Unauthenticated
from serving.access.roles import Permission, allows
from serving.api.audit_trail import AuditDraft
from serving.api.problems import Problem
from serving.api.state import ServiceState
from serving.use_cases.scope import Scope

bearer = HTTPBearer(auto_error=False, description="An API key from `ecr keys create`.")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="enterprise-credit-risk"'}


@dataclass(frozen=True)
class Caller:
    key: ApiKey
    scope: Scope


async def service(request: Request) -> ServiceState:
    """The loaded objects the app was started with."""
    return request.app.state.service


@dataclass(frozen=True)
class Refusal:
    """Why an authenticated key may not go on: 403 (its role) or 429 (its rate)."""

    status: int
    detail: str
    headers: dict[str, str]


def admit(state: ServiceState, key: ApiKey, permission: Permission,
          audit: AuditDraft) -> Refusal | None:
    """Record who called for the audit log, then check the key's role and count it against
    its rate: None when it may go on. The API and the pages both admit a key so."""
    audit.key_id, audit.role = key.key_id, key.role.value
    if not allows(key.role, permission):
        audit.outcome = "forbidden"
        return Refusal(403, f"the {key.role.value} role may not {permission.value}", {})
    wait = state.rate_limiter.hit(key.key_id)
    if wait is not None:
        audit.outcome = "rate limited"
        return Refusal(429, f"rate limit of {state.rate_limiter.description} exceeded; "
                            f"retry after {wait} s", {"Retry-After": str(wait)})
    return None


def require(permission: Permission) -> Callable[..., Caller]:
    """A dependency: the authenticated caller, allowed ``permission``, within its rate."""

    async def dependency(request: Request,
                         credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
                         state: ServiceState = Depends(service)) -> Caller:
        # On the event loop, not in a worker thread: a stat of the model pointer, a cached key
        # (the database is read once per key every few seconds) and an in-memory counter.
        state.models.follow()
        audit = request.state.audit
        audit.permission = permission.value
        presented = credentials.credentials if credentials else None
        try:
            key = state.keys.authenticate(presented, now=dt.datetime.now(dt.UTC))
        except Unauthenticated as error:
            audit.outcome = f"unauthenticated: {error.reason}"
            raise Problem(401, "a valid API key is required: send it as "
                               "'Authorization: Bearer KEY'", headers=CHALLENGE) from None
        refused = admit(state, key, permission, audit)
        if refused is not None:
            raise Problem(refused.status, refused.detail, headers=refused.headers)
        return Caller(key, Scope(key.region))

    return dependency

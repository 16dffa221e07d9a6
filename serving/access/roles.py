"""Roles and what each may do: the one permission matrix the routes and the commands check.

=====================  ========  =========  =====
permission             sampling  regulator  admin
=====================  ========  =========  =====
read_model             yes       yes        yes
score                  yes       yes        —
read_classifications   yes       yes        —
write_inspections      yes       yes        —
create_draws           yes       yes        —
read_draws             yes       yes        —
read_explanations      —         yes        —
read_history           —         yes        —
search_enterprises     —         yes        —
read_warnings          —         yes        —
write_dispositions     —         yes        —
read_regions           —         yes        —
reload_model           —         —          yes
read_metrics           —         —          yes
manage_keys            —         —          yes
=====================  ========  =========  =====

``sampling`` (the spot-check module) reads classifications and periods, scores, posts
inspection results, creates, reads and cancels draws and reads their effect; ``regulator``
may do all of that and also reads
explanations, history, warnings and regional risk, searches enterprises and records warning
dispositions; ``admin`` runs the service (reloads the model, reads metrics, manages keys) and
reads no enterprise's result. Every role may read which model is serving.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    """Who holds an API key."""

    SAMPLING = "sampling"
    REGULATOR = "regulator"
    ADMIN = "admin"


class Permission(StrEnum):
    """One thing a route does that a role may or may not be allowed."""

    READ_MODEL = "read_model"
    SCORE = "score"
    READ_CLASSIFICATIONS = "read_classifications"
    WRITE_INSPECTIONS = "write_inspections"
    CREATE_DRAWS = "create_draws"
    READ_DRAWS = "read_draws"
    READ_EXPLANATIONS = "read_explanations"
    READ_HISTORY = "read_history"
    SEARCH_ENTERPRISES = "search_enterprises"
    READ_WARNINGS = "read_warnings"
    WRITE_DISPOSITIONS = "write_dispositions"
    READ_REGIONS = "read_regions"
    RELOAD_MODEL = "reload_model"
    READ_METRICS = "read_metrics"
    MANAGE_KEYS = "manage_keys"


_SAMPLING = frozenset({
    Permission.READ_MODEL, Permission.SCORE, Permission.READ_CLASSIFICATIONS,
    Permission.WRITE_INSPECTIONS, Permission.CREATE_DRAWS, Permission.READ_DRAWS,
})
_REGULATOR = _SAMPLING | {
    Permission.READ_EXPLANATIONS, Permission.READ_HISTORY, Permission.SEARCH_ENTERPRISES,
    Permission.READ_WARNINGS, Permission.WRITE_DISPOSITIONS, Permission.READ_REGIONS,
}
_ADMIN = frozenset({
    Permission.READ_MODEL, Permission.RELOAD_MODEL, Permission.READ_METRICS,
    Permission.MANAGE_KEYS,
})

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType({
    Role.SAMPLING: _SAMPLING,
    Role.REGULATOR: frozenset(_REGULATOR),
    Role.ADMIN: _ADMIN,
})
"""Each role's permissions (the table above); read-only."""


def allows(role: Role, permission: Permission) -> bool:
    """Whether ``role`` may do ``permission``; an unknown role or permission is refused with
    a ValueError naming it rather than silently denied."""
    try:
        wanted = Permission(permission)
    except ValueError:
        raise ValueError(f"permission: expected one of {', '.join(Permission)}, "
                         f"found {permission!r}") from None
    return wanted in ROLE_PERMISSIONS[parse_role(role)]


def parse_role(value: str) -> Role:
    """``value`` as a `Role`, or a ValueError naming the roles expected and what was found."""
    try:
        return Role(value)
    except ValueError:
        raise ValueError(f"role: expected one of {', '.join(Role)}, found {value!r}") from None

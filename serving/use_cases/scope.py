"""The part of the province a caller may see: object-level authorisation below the faces.

Every use case that reads or records a published result takes a `Scope`, the region prefix
of the caller's API key. An enterprise outside it is answered exactly as one that does not
exist (`NotFound`, the same message), and lists hold only rows inside it (OWASP API1, broken
object-level authorisation).

A region is a prefix of the 6-digit GB/T 2260 division code: ``41`` the province, ``4101``
郑州市, ``410102`` 中原区. A full code ending in ``00`` names the whole division, as GB/T 2260
writes it: ``410100`` is read as ``4101`` and ``410000`` as ``41``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from serving.use_cases.errors import InvalidRequest

_REGION = re.compile(r"^\d{2,6}$")


def region_prefix(region: str, argument: str = "region") -> str:
    """``region`` as the prefix it stands for (trailing ``00`` pairs of a full code dropped);
    `InvalidRequest` naming ``argument`` unless it is 2–6 digits."""
    if not isinstance(region, str) or not _REGION.match(region):
        raise InvalidRequest(f"{argument}: expected a prefix of a 6-digit GB/T 2260 division "
                             f"code (2 to 6 digits, e.g. 4101 or 410102), found {region!r}")
    prefix = region
    while len(prefix) > 2 and len(prefix) % 2 == 0 and prefix.endswith("00"):
        prefix = prefix[:-2]
    return prefix


@dataclass(frozen=True)
class Scope:
    """The region a caller is limited to; ``None``: the whole province."""

    region: str | None = None

    def __post_init__(self) -> None:
        if self.region is not None:
            region_prefix(self.region, "scope region")

    @property
    def prefix(self) -> str | None:
        """The division-code prefix an enterprise's code must start with (None: any)."""
        return None if self.region is None else region_prefix(self.region, "scope region")

    def covers(self, region_code: str | None) -> bool:
        """Whether an enterprise registered in ``region_code`` is inside the scope; an unknown
        code is inside the whole province only."""
        prefix = self.prefix
        if prefix is None:
            return True
        return region_code is not None and region_code.startswith(prefix)

    def narrowed(self, region: str | None, argument: str = "region") -> Scope | None:
        """The part of the scope inside the ``region`` filter (validated, named
        ``argument``); None when the two do not overlap."""
        if region is None:
            return self
        wanted = region_prefix(region, argument)
        mine = self.prefix
        if mine is None or wanted.startswith(mine):
            return Scope(wanted)
        return self if mine.startswith(wanted) else None


WHOLE_PROVINCE = Scope()
"""The scope of the command line and of keys without a region."""

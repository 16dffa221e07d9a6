"""A JSON response from a plain document, encoded once by pydantic-core (dates, datetimes,
enums and decimals as pydantic writes them), for read paths whose documents are built
without validating a model per item (see `serving.api.schemas.results`)."""

from __future__ import annotations

from typing import Any

import pydantic_core
from fastapi.responses import Response


class DocumentResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return pydantic_core.to_json(content)

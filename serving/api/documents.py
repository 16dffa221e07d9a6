"""JSON responses encoded once by pydantic-core: from a plain document (dates, datetimes,
enums and decimals as pydantic writes them), for read paths whose documents are built
without validating a model per item (see `serving.api.schemas.results`), or from a response
model the route has already built (FastAPI would dump, validate and encode it again)."""

from __future__ import annotations

from typing import Any

import pydantic_core
from fastapi.responses import Response
from pydantic import BaseModel


class DocumentResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return pydantic_core.to_json(content)


class ModelResponse(Response):
    """The route's own response model, encoded as FastAPI would encode it (no aliases in
    these schemas), once."""

    media_type = "application/json"

    def render(self, content: BaseModel) -> bytes:
        return content.__pydantic_serializer__.to_json(content)

"""The HTTP face: a FastAPI app over the use cases (see `serving.api.app`). Routes map typed
results to response schemas and refusals to RFC 9457 problems; they hold no logic."""

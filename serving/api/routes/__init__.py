"""The routes, one module per resource; each maps a use case's typed result to a schema."""

from serving.api.routes import health, model

ROUTERS = [health.router, model.router]

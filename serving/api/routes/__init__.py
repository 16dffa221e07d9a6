"""The routes, one module per resource; each maps a use case's typed result to a schema."""

from serving.api.routes import (
    classifications,
    enterprises,
    health,
    inspections,
    model,
    regions,
    warnings,
)

ROUTERS = [health.router, model.router, classifications.router, enterprises.router,
           warnings.router, regions.router, inspections.router]

"""The routes, one module per resource; each maps a use case's typed result to a schema."""

from serving.api.routes import (
    classifications,
    draws,
    enterprises,
    health,
    inspections,
    model,
    regions,
    scores,
    warnings,
)

ROUTERS = [health.router, model.router, classifications.router, enterprises.router,
           warnings.router, regions.router, scores.router, inspections.router, draws.router]

"""The endpoints: one module per resource, each a thin ``APIRouter`` over ``app.kb``."""

from fastapi import FastAPI

from app.api.middleware.security import ReadKey
from app.api.routers import (
    articles,
    changes,
    entities,
    events,
    export,
    health,
    index,
    jobs,
    metrics,
    quotes,
    screening,
    search,
    stats,
    watches,
)

# In the order their routes are matched; an order only decides between overlapping paths.
READ_ROUTERS = (
    articles,
    jobs,
    entities,
    events,
    quotes,
    search,
    screening,
    changes,
    export,
    stats,
    metrics,
)


def include_routers(app: FastAPI) -> None:
    """Each module's router straight into the app: a router nested in another router is
    matched twice over (FastAPI 0.165 asks the outer one, then each inner one)."""
    for module in READ_ROUTERS:
        app.include_router(module.router, dependencies=[ReadKey])
    app.include_router(watches.router)  # every route needs the key
    app.include_router(health.router)
    app.include_router(index.router)

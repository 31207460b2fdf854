"""The endpoints: one module per resource, each a thin ``APIRouter`` over ``app.kb``."""

from fastapi import APIRouter

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

api_router = APIRouter()
for module in (
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
):
    api_router.include_router(module.router, dependencies=[ReadKey])
api_router.include_router(watches.router)  # every route needs the key
api_router.include_router(health.router)
api_router.include_router(index.router)

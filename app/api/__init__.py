"""HTTP API: thin routers over ``app.kb``."""

from fastapi import APIRouter

from app.api import (
    articles,
    changes,
    entities,
    events,
    export,
    health,
    index,
    metrics,
    quotes,
    search,
    stats,
)
from app.api.security import ReadKey

api_router = APIRouter()
for module in (articles, entities, events, quotes, search, changes, export, stats, metrics):
    api_router.include_router(module.router, dependencies=[ReadKey])
api_router.include_router(health.router)
api_router.include_router(index.router)

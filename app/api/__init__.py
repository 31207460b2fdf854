"""HTTP API: thin routers over ``app.kb``."""

from fastapi import APIRouter

from app.api import articles, entities, events, health, quotes
from app.api.security import ReadKey

api_router = APIRouter()
for module in (articles, entities, events, quotes):
    api_router.include_router(module.router, dependencies=[ReadKey])
api_router.include_router(health.router)

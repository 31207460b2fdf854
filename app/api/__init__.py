"""HTTP API: thin routers over ``app.kb``."""

from fastapi import APIRouter

from app.api import articles, entities, events, health, quotes

api_router = APIRouter()
for module in (articles, entities, events, quotes, health):
    api_router.include_router(module.router)

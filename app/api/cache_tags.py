"""What an answer shows, as the read cache's tags: the articles, entities and events in it.

A route that answers one resource (``etag_response``) leaves its model in the ASGI scope; the
read cache (``app.api.middleware.cache``) turns it into tags when it keeps the answer, so a
write drops only the answers that show something it wrote. Tags are read off the model itself,
not declared per route: whatever an answer embeds (an event's participants in an article, a
role's country in a person) is a tag without anyone remembering to add it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from starlette.types import Scope

from app.kb.changes import article_tag, entity_tag, event_tag
from app.schemas.articles import ArticleSummary
from app.schemas.entities import EntityRead, EntityRef, SpanRead
from app.schemas.events import EventArticle, EventRead

SCOPE_KEY = "newskb.shown"


def show(scope: Scope, model: BaseModel) -> None:
    """Record the model an answer serializes, for ``shown_in``."""
    scope[SCOPE_KEY] = model


@dataclass(frozen=True, slots=True)
class Shown:
    """What one answer shows: whole objects (tags) and entities it only names (refs)."""

    tags: frozenset[str]  # "article:1", "event:3", "entity:7" (the entity's own answer)
    refs: dict[int, tuple[str, str]]  # entity id → the name and type the answer shows


def shown_in(scope: Scope) -> Shown | None:
    """What the answer built for ``scope`` shows; None (any write may change it) when the route
    recorded no model: lists, searches, counts."""
    model = scope.get(SCOPE_KEY)
    if model is None:
        return None
    tags: set[str] = set()
    refs: dict[int, tuple[str, str]] = {}
    if isinstance(model, EntityRead):  # the entity's own answer: its counts, aliases, roles
        tags.add(entity_tag(model.id))
    _collect(model, tags, refs)
    return Shown(frozenset(tags), refs)


def _collect(value: Any, tags: set[str], refs: dict[int, tuple[str, str]]) -> None:
    if isinstance(value, list | tuple):
        for item in value:
            _collect(item, tags, refs)
        return
    if not isinstance(value, BaseModel):
        return
    if isinstance(value, EntityRef):
        refs[value.id] = (value.name, value.type)
    elif isinstance(value, EventRead):
        tags.add(event_tag(value.id))
    elif isinstance(value, ArticleSummary | EventArticle):
        tags.add(article_tag(value.id))
    elif isinstance(value, SpanRead):
        tags.add(article_tag(value.article_id))
    for name in type(value).model_fields:
        _collect(getattr(value, name), tags, refs)

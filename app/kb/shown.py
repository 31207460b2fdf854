"""What an answer shows: the articles, entities and events in it, read off its model.

Both the read cache (``app.api.cache_tags``) and the stored article answers
(``app.kb.answers``) keep an answer with what it shows, so that a write finds the answers it
changes. Read off the model itself, not declared per answer: whatever an answer embeds (an
event's participants in an article, a role's country in a person) is shown without anyone
remembering to add it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from app.kb.changes import article_tag, entity_tag, event_tag
from app.schemas.articles import ArticleSummary
from app.schemas.entities import EntityRead, EntityRef, SpanRead
from app.schemas.events import EventArticle, EventRead


@dataclass(frozen=True, slots=True)
class Shown:
    """What one answer shows: whole objects (tags) and entities it only names (refs)."""

    tags: frozenset[str]  # "article:1", "event:3", "entity:7" (the entity's own answer)
    refs: dict[int, tuple[str, str]]  # entity id → the name and type the answer shows

    def to_json(self) -> str:
        refs = [[id_, name, type_] for id_, (name, type_) in sorted(self.refs.items())]
        return json.dumps({"tags": sorted(self.tags), "refs": refs}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Shown:
        data = json.loads(text)
        return cls(frozenset(data["tags"]), {id_: (n, t) for id_, n, t in data["refs"]})

    def objects(self) -> set[tuple[str, int]]:
        """Each shown object as (kind, id): the tags, and the entities named."""
        found = {(kind, int(id_)) for kind, _, id_ in (tag.partition(":") for tag in self.tags)}
        return found | {("entity", id_) for id_ in self.refs}


def shown_by(model: BaseModel) -> Shown:
    """What the answer serializing ``model`` shows."""
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

"""Entities: the people, organizations, places... shared across articles."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import CodecDep, CursorQuery, EntityIdPath, LimitQuery, SessionDep
from app.api.pages import link_next
from app.kb import entities as kb_entities
from app.schemas.common import PROBLEM_RESPONSES, Page
from app.schemas.entities import EntityRead, EntitySummary

router = APIRouter(prefix="/v1/entities", tags=["entities"], responses=PROBLEM_RESPONSES)

EntityType = Literal[
    "person", "organization", "country", "place", "group", "event", "weapon", "product", "other"
]


@router.get("", response_model=Page[EntitySummary], summary="List or find entities")
def list_entities(
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    type: Annotated[EntityType | None, Query(description="Only this type.")] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Name or alias contains this (accents ignored)."),
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Page[EntitySummary]:
    result = kb_entities.list_entities(
        session, type=type, q=q, limit=limit, cursor=cursor, codec=codec
    )
    link_next(request, response, result.page.next_cursor)
    items = []
    for entity in result.page.items:
        counts = result.counts.get(entity.id, kb_entities.EntityCounts())
        item = EntitySummary.model_validate(entity)
        item.mention_count, item.article_count = counts.mentions, counts.articles
        items.append(item)
    return Page[EntitySummary](items=items, next_cursor=result.page.next_cursor)


@router.get("/{entity_id}", response_model=EntityRead, summary="One entity with its roles")
def get_entity(entity_id: EntityIdPath, session: SessionDep) -> EntityRead:
    entity = kb_entities.get_entity(session, entity_id)
    counts = kb_entities.entity_counts(session, [entity.id]).get(
        entity.id, kb_entities.EntityCounts()
    )
    read = EntityRead.model_validate(entity)
    read.mention_count, read.article_count = counts.mentions, counts.articles
    return read

"""Entity reads: the list with counts and aliases, and one entity with its roles."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.db.models import Entity, EntityAlias, Mention, Role
from app.errors import NotFound
from app.kb.normalize import normalize_name
from app.kb.pagination import CursorCodec, Page, SortKey, keyset_page


@dataclass(frozen=True)
class EntityCounts:
    mentions: int = 0
    articles: int = 0


@dataclass(frozen=True)
class EntityPage:
    page: Page[Entity]
    counts: dict[int, EntityCounts]


def list_entities(
    session: Session,
    *,
    type: str | None,
    q: str | None,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
) -> EntityPage:
    """Entities (not merged away), filtered by type and by a name/alias substring."""
    query = (
        select(Entity).where(Entity.merged_into_id.is_(None)).options(selectinload(Entity.aliases))
    )
    if type:
        query = query.where(Entity.type == type)
    if q and (needle := normalize_name(q)):
        matching = select(EntityAlias.entity_id).where(
            EntityAlias.normalized.contains(needle, autoescape=True)
        )
        query = query.where(Entity.id.in_(matching))
    page: Page[Entity] = keyset_page(
        session,
        query,
        scope=f"entities:id:{type}:{q}",
        keys=[SortKey(Entity.id, parse=int)],
        row_values=lambda e: (e.id,),
        limit=limit,
        cursor=cursor,
        codec=codec,
    )
    return EntityPage(page, entity_counts(session, [e.id for e in page.items]))


def entity_counts(session: Session, entity_ids: list[int]) -> dict[int, EntityCounts]:
    if not entity_ids:
        return {}
    rows = session.execute(
        select(
            Mention.entity_id, func.count(Mention.id), func.count(func.distinct(Mention.article_id))
        )
        .where(Mention.entity_id.in_(entity_ids))
        .group_by(Mention.entity_id)
    )
    return {entity_id: EntityCounts(mentions, articles) for entity_id, mentions, articles in rows}


def get_entity(session: Session, entity_id: int) -> Entity:
    """One entity with its aliases and roles (each with the article it was read in)."""
    entity = session.scalars(
        select(Entity)
        .where(Entity.id == entity_id)
        .options(
            selectinload(Entity.aliases),
            selectinload(Entity.roles).selectinload(Role.of),
            selectinload(Entity.roles).selectinload(Role.person),
            selectinload(Entity.stands_for),
        )
    ).first()
    if entity is None:
        raise NotFound(f"Entity {entity_id} does not exist.")
    return entity

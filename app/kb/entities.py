"""Entity reads: the list (filtered, sorted, with counts), one entity, its co-occurrences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from app.db.base import UTCDateTime
from app.db.models import Article, Entity, EntityAlias, Mention, Role
from app.errors import NotFound
from app.kb.articles import sort_time
from app.kb.normalize import normalize_name
from app.kb.pagination import CursorCodec, Page, SortKey, keyset_page
from app.kb.search import Facet

SORTS = ("-mentions", "name", "-last_seen")
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class EntityCounts:
    mentions: int = 0
    articles: int = 0
    last_seen: datetime | None = None


@dataclass(frozen=True)
class EntityPage:
    page: Page[Entity]
    counts: dict[int, EntityCounts]


def name_matches(q: str) -> ColumnElement[bool] | None:
    """Entities with a name or alias in which a word starts with ``q`` (accents ignored)."""
    needle = normalize_name(q)
    if not needle:
        return None
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    aliases = select(EntityAlias.entity_id).where(
        or_(
            EntityAlias.normalized.like(f"{escaped}%", escape="\\"),
            EntityAlias.normalized.like(f"% {escaped}%", escape="\\"),
        )
    )
    return Entity.id.in_(aliases)


def _last_seen() -> Any:
    """The date of the newest article mentioning each entity, as a joinable subquery."""
    return (
        select(Mention.entity_id.label("entity_id"), func.max(sort_time).label("last_seen"))
        .join(Article, Article.id == Mention.article_id)
        .group_by(Mention.entity_id)
        .subquery("entity_stats")
    )


def list_entities(
    session: Session,
    *,
    type: str | None,
    q: str | None,
    sort: str = "-mentions",
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
) -> EntityPage:
    """Entities (not merged away), filtered by type and by a name/alias word prefix."""
    query: Select[Any] = (
        select(Entity).where(Entity.merged_into_id.is_(None)).options(selectinload(Entity.aliases))
    )
    id_key = SortKey(Entity.id, parse=int)
    if sort == "-last_seen":
        stats = _last_seen()
        last_seen = func.coalesce(
            stats.c.last_seen, literal(_NEVER, UTCDateTime), type_=UTCDateTime
        )
        query = query.add_columns(last_seen.label("last_seen")).outerjoin(
            stats, stats.c.entity_id == Entity.id
        )
        keys = [SortKey(last_seen, True, datetime.fromisoformat, datetime.isoformat), id_key]
        values = "last_seen"
    elif sort == "name":  # no counts needed: the page's own come from ``entity_counts`` below
        keys, values = [SortKey(Entity.normalized_name, parse=str), id_key], "name"
    else:
        # Correlated: only entities that pass the filters are counted, each from the
        # (entity_id, article_id) index, instead of every entity's mentions grouped first.
        mentions = (
            select(func.count())
            .where(Mention.entity_id == Entity.id)
            .correlate(Entity)
            .scalar_subquery()
        )
        query = query.add_columns(mentions.label("mentions"))
        keys = [SortKey(mentions, descending=True, parse=int), id_key]
        values = "mentions"
    if type:
        query = query.where(Entity.type == type)
    if q and (condition := name_matches(q)) is not None:
        query = query.where(condition)
    elif q:
        query = query.where(literal(False))

    def row_values(row: Any) -> tuple[Any, ...]:
        first = row.Entity.normalized_name if values == "name" else getattr(row, values)
        return (first, row.Entity.id)

    page = keyset_page(
        session,
        query,
        scope=f"entities:{sort}:{type}:{normalize_name(q or '')}",
        keys=keys,
        row_values=row_values,
        limit=limit,
        cursor=cursor,
        codec=codec,
        rows=True,
    )
    found = [row.Entity for row in page.items]
    return EntityPage(Page(found, page.next_cursor), entity_counts(session, [e.id for e in found]))


def entity_counts(session: Session, entity_ids: list[int]) -> dict[int, EntityCounts]:
    if not entity_ids:
        return {}
    rows = session.execute(
        select(
            Mention.entity_id,
            func.count(Mention.id),
            func.count(func.distinct(Mention.article_id)),
            func.max(sort_time),
        )
        .join(Article, Article.id == Mention.article_id)
        .where(Mention.entity_id.in_(entity_ids))
        .group_by(Mention.entity_id)
    )
    return {
        entity_id: EntityCounts(mentions, articles, _utc(last))
        for entity_id, mentions, articles, last in rows
    }


def _utc(value: Any) -> datetime | None:
    """``max()`` loses the column type on SQLite: read the text back as UTC."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def current_id(session: Session, entity_id: int) -> int:
    """The id an entity lives under now: itself, or where merges took it (chains followed)."""
    seen: set[int] = set()
    while True:
        row = session.execute(
            select(Entity.id, Entity.merged_into_id).where(Entity.id == entity_id)
        ).first()
        if row is None:
            raise NotFound(f"Entity {entity_id} does not exist.")
        if row.merged_into_id is None or row.merged_into_id in seen:
            return entity_id
        seen.add(entity_id)
        entity_id = row.merged_into_id


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


@dataclass(frozen=True)
class Related:
    entity: Entity
    shared_articles: int


def list_related(
    session: Session,
    entity_id: int,
    *,
    type: str | None,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
) -> Page[Related]:
    """Entities mentioned in the same articles, most shared articles first."""
    get_entity(session, entity_id)
    mine, theirs = aliased(Mention), aliased(Mention)
    shared = (
        select(
            theirs.entity_id.label("entity_id"),
            func.count(func.distinct(theirs.article_id)).label("shared"),
        )
        .join(mine, and_(mine.article_id == theirs.article_id, mine.entity_id == entity_id))
        .where(theirs.entity_id != entity_id)
        .group_by(theirs.entity_id)
        .subquery("shared")
    )
    query: Select[Any] = (
        select(Entity, shared.c.shared)
        .join(shared, shared.c.entity_id == Entity.id)
        .options(selectinload(Entity.aliases))
    )
    if type:
        query = query.where(Entity.type == type)
    page = keyset_page(
        session,
        query,
        scope=f"related:{entity_id}:{type}",
        keys=[SortKey(shared.c.shared, descending=True, parse=int), SortKey(Entity.id, parse=int)],
        row_values=lambda row: (row.shared, row.Entity.id),
        limit=limit,
        cursor=cursor,
        codec=codec,
        rows=True,
    )
    return Page([Related(row.Entity, row.shared) for row in page.items], page.next_cursor)


def type_facets(session: Session, q: str | None) -> list[Facet]:
    """How many live entities of each type match ``q`` (as in ``list_entities``)."""
    condition = name_matches(q) if q else None
    if q and condition is None:
        return []
    query = select(Entity.type, func.count(Entity.id)).where(Entity.merged_into_id.is_(None))
    if condition is not None:
        query = query.where(condition)
    rows = session.execute(
        query.group_by(Entity.type).order_by(func.count(Entity.id).desc(), Entity.type)
    )
    return [Facet(type_, count) for type_, count in rows]

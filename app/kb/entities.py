"""Entity reads: the list (filtered, sorted, with counts), one entity, its roles, co-occurrences.

Counts come from ``entity_stats`` and per-entity article lists from ``entity_articles``, both
kept by the write paths (``app.kb.entity_stats``), so no read here grows with the corpus: the
entity page summarizes roles (capped), ``related`` looks at a bounded window of articles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, func, literal, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from app.db.models import Entity, EntityAlias, EntityArticle, EntityStats, Role
from app.errors import InvalidCursor, NotFound
from app.kb.normalize import normalize_name
from app.kb.search.articles import Facet
from app.kb.sql.idlist import ids_in
from app.kb.sql.pagination import (
    CURSOR_ERRORS,
    CursorCodec,
    Page,
    SortKey,
    cursor_datetime,
    cursor_text,
    keyset_page,
)

SORTS = ("-mentions", "name", "-last_seen")
# The entity page lists at most this many distinct roles; GET /v1/entities/{id}/roles has all.
ROLE_SUMMARY_LIMIT = 20
# ``related`` counts co-mentions in this many of the entity's newest articles, so its cost
# stops growing with the corpus once an entity is named that often.
RELATED_WINDOW = 1000
# A name prefix found in at most this many aliases is resolved to entity ids before the list
# reads them (see ``name_matches``).
NAME_CANDIDATES = 1000


@dataclass(frozen=True)
class EntityCounts:
    mentions: int = 0
    articles: int = 0
    last_seen: datetime | None = None


@dataclass(frozen=True)
class EntityPage:
    page: Page[Entity]
    counts: dict[int, EntityCounts]


@dataclass(frozen=True)
class NameFilter:
    """Entities with a name or alias in which a word starts with ``q`` (accents ignored),
    looked up once (``name_filter``) so that the reads of a request share one alias query."""

    needle: str  # ``q`` normalized; empty when it has nothing to match: nothing matches
    ids: tuple[int, ...] | None  # the matching entities; None: more than NAME_CANDIDATES
    dialect: str

    @property
    def finds_none(self) -> bool:
        """No entity matches: nothing to match, or no alias found."""
        return not self.needle or self.ids == ()

    def condition(self, column: Any) -> ColumnElement[bool]:
        """``column`` (an entity id) is of a matching entity: one of the ids found, or, for a
        prefix with too many of them, the alias test itself (such a walk finds enough early)."""
        if not self.needle:
            return literal(False)
        if self.ids is None:
            return column.in_(_aliases(self.needle))  # type: ignore[no-any-return]
        return ids_in(column, self.ids, self.dialect)


def name_filter(session: Session, *, q: str | None) -> NameFilter | None:
    """The entities ``q`` finds by name; None without ``q`` (no name filter).

    The matching aliases are looked up first (PostgreSQL: trigram index). When there are at
    most ``NAME_CANDIDATES``, the condition is their entity ids: the planner cannot tell where
    a handful of matches fall in a list's order, and, guessing that many entities match, walked
    the order index testing each entity's aliases, through every entity when the matches were
    rarely mentioned.
    """
    if not q:
        return None
    needle = normalize_name(q)
    dialect = session.get_bind().dialect.name
    if not needle:
        return NameFilter(needle, (), dialect)
    found = session.scalars(_aliases(needle).limit(NAME_CANDIDATES + 1)).all()
    ids = None if len(found) > NAME_CANDIDATES else tuple(sorted(set(found)))
    return NameFilter(needle, ids, dialect)


def _aliases(needle: str) -> Select[int]:
    """The entity ids of the aliases in which a word starts with ``needle``."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    matching = or_(
        EntityAlias.normalized.like(f"{escaped}%", escape="\\"),
        EntityAlias.normalized.like(f"% {escaped}%", escape="\\"),
    )
    return select(EntityAlias.entity_id).where(matching)


def list_entities(
    session: Session,
    *,
    type: str | None,
    names: NameFilter | None,
    sort: str = "-mentions",
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
) -> EntityPage:
    """Entities (not merged away), filtered by type and by name (``name_filter``).

    The stored counts make each order one index of ``entity_stats`` (or ``entities`` for
    ``name``), read from the cursor on, instead of counting the mentions of every candidate.
    A first page of a name no entity has is answered without a query.
    """
    if cursor is None and names is not None and names.finds_none:
        return EntityPage(Page([], None), {})
    query: Select[Any] = cast(
        "Select[Any]",
        select(Entity, EntityStats)
        .join(EntityStats, EntityStats.entity_id == Entity.id)
        .where(_live(session))
        .options(selectinload(Entity.aliases)),
    )
    if sort == "name":
        keys = [SortKey(Entity.normalized_name, parse=cursor_text), SortKey(Entity.id)]
        type_column, id_column = Entity.type, Entity.id
    else:
        first = (
            SortKey(EntityStats.last_seen_at, True, cursor_datetime, datetime.isoformat)
            if sort == "-last_seen"
            else SortKey(EntityStats.mention_count, descending=True)
        )
        keys = [first, SortKey(EntityStats.entity_id)]
        type_column, id_column = EntityStats.type, EntityStats.entity_id
    if type:
        query = query.where(type_column == type)
    # On the table whose index gives the order, so that a walk of it tests ids as it goes.
    if names is not None:
        query = query.where(names.condition(id_column))
    scope = f"entities:{sort}:{type}:{names.needle if names else ''}"
    if (bound := _resume_bound(codec, scope, cursor, keys[0])) is not None:
        query = query.where(bound)

    def row_values(row: Any) -> tuple[Any, ...]:
        return tuple(_value(row, key.column) for key in keys)

    page = keyset_page(
        session,
        query,
        scope=scope,
        keys=keys,
        row_values=row_values,
        limit=limit,
        cursor=cursor,
        codec=codec,
        rows=True,
    )
    found = [row.Entity for row in page.items]
    counts = {row.Entity.id: _counts(row.EntityStats) for row in page.items}
    return EntityPage(Page(found, page.next_cursor), counts)


def _live(session: Session) -> ColumnElement[bool]:
    """Entities not merged away. Nearly every entity is live, but SQLite's planner, which has
    no statistics, would still pick the merged_into_id index over the index of the list's
    order; there the condition is written so that no index serves it. PostgreSQL's estimate
    is right, and a ``coalesce`` would spoil it."""
    if session.get_bind().dialect.name == "sqlite":
        return func.coalesce(Entity.merged_into_id, 0) == 0
    return Entity.merged_into_id.is_(None)


def _value(row: Any, column: Any) -> Any:
    holder = row.Entity if column.class_ is Entity else row.EntityStats
    return getattr(holder, column.key)


def _resume_bound(
    codec: CursorCodec, scope: str, cursor: str | None, key: SortKey
) -> ColumnElement[bool] | None:
    """The cursor's first sort value as a range condition, so that the index scan starts
    there: the keyset's OR of ANDs alone is a filter, read from the top of the index."""
    if not cursor:
        return None
    try:
        value = key.parse(codec.decode(scope, cursor)[0])
    except (InvalidCursor, IndexError, *CURSOR_ERRORS):
        return None  # ``keyset_page`` reports the bad cursor
    column = key.column
    return column <= value if key.descending else column >= value  # type: ignore[no-any-return]


def entity_counts(session: Session, entity_ids: Sequence[int]) -> dict[int, EntityCounts]:
    """The stored counts of these entities (primary-key reads)."""
    if not entity_ids:
        return {}
    rows = session.scalars(select(EntityStats).where(EntityStats.entity_id.in_(entity_ids)))
    return {stats.entity_id: _counts(stats) for stats in rows}


def with_counts(session: Session, entities: Sequence[Entity]) -> list[tuple[Entity, EntityCounts]]:
    """Each entity with its stored counts (zeros for one that was never counted)."""
    counts = entity_counts(session, [e.id for e in entities])
    return [(e, counts.get(e.id, EntityCounts())) for e in entities]


def _counts(stats: EntityStats) -> EntityCounts:
    last_seen = stats.last_seen_at if stats.article_count else None
    return EntityCounts(stats.mention_count, stats.article_count, last_seen)


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
    """One entity with its aliases and the state it stands for."""
    entity = session.scalars(
        select(Entity)
        .where(Entity.id == entity_id)
        .options(selectinload(Entity.aliases), selectinload(Entity.stands_for))
    ).first()
    if entity is None:
        raise NotFound(f"Entity {entity_id} does not exist.")
    return entity


def require_entity(session: Session, entity_id: int) -> None:
    """Raise ``NotFound`` unless the entity exists (one primary-key probe, nothing loaded)."""
    if session.scalar(select(Entity.id).where(Entity.id == entity_id)) is None:
        raise NotFound(f"Entity {entity_id} does not exist.")


def list_roles(
    session: Session,
    person_id: int,
    *,
    title: str | None,
    of_id: int | None,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
) -> Page[Role]:
    """Every role statement of a person with its evidence, newest stored first."""
    require_entity(session, person_id)
    query = (
        select(Role)
        .where(Role.person_id == person_id)
        .options(selectinload(Role.of), selectinload(Role.person))
    )
    if title:
        query = query.where(func.lower(Role.title) == title.strip().lower())
    if of_id is not None:
        query = query.where(Role.of_id == of_id)
    return keyset_page(
        session,
        query,
        scope=f"roles:{person_id}:{(title or '').strip().lower()}:{of_id}",
        keys=[SortKey(Role.id, descending=True)],
        row_values=lambda role: (role.id,),
        limit=limit,
        cursor=cursor,
        codec=codec,
    )


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
    """Entities named in the same articles, most shared first, among the entity's
    ``RELATED_WINDOW`` newest articles (published, else ingested): bounded work per request."""
    require_entity(session, entity_id)
    newest = (
        select(EntityArticle.article_id)
        .where(EntityArticle.entity_id == entity_id)
        .order_by(EntityArticle.seen_at.desc(), EntityArticle.article_id.desc())
        .limit(RELATED_WINDOW)
        .subquery("newest")
    )
    theirs = aliased(EntityArticle)
    shared = (
        select(theirs.entity_id.label("entity_id"), func.count().label("shared"))
        .select_from(newest)
        .join(theirs, theirs.article_id == newest.c.article_id)
        .where(theirs.entity_id != entity_id)
        .group_by(theirs.entity_id)
    )
    if type:
        shared = shared.where(theirs.entity_type == type)
    counted = shared.subquery("shared")
    page = keyset_page(
        session,
        select(counted.c.entity_id, counted.c.shared),
        scope=f"related:{entity_id}:{type}",
        keys=[
            SortKey(counted.c.shared, descending=True),
            SortKey(counted.c.entity_id),
        ],
        row_values=lambda row: (row.shared, row.entity_id),
        limit=limit,
        cursor=cursor,
        codec=codec,
        rows=True,
    )
    ids = [row.entity_id for row in page.items]
    entities = {
        e.id: e
        for e in session.scalars(
            select(Entity).where(Entity.id.in_(ids)).options(selectinload(Entity.aliases))
        )
    }
    return Page(
        [Related(entities[row.entity_id], row.shared) for row in page.items], page.next_cursor
    )


def type_facets(session: Session, *, names: NameFilter | None) -> list[Facet]:
    """How many live entities of each type match ``names`` (as in ``list_entities``)."""
    if names is not None and names.finds_none:
        return []
    query = select(Entity.type, func.count(Entity.id)).where(Entity.merged_into_id.is_(None))
    if names is not None:
        query = query.where(names.condition(Entity.id))
    rows = session.execute(
        query.group_by(Entity.type).order_by(func.count(Entity.id).desc(), Entity.type)
    )
    return [Facet(type_, count) for type_, count in rows]

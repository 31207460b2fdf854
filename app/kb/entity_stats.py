"""Per-entity statistics and article and event lists, kept exact by the write paths.

Ingest adds: ``link_article`` derives the article's ``entity_articles`` rows from its mentions,
``link_events`` an event's ``entity_events`` rows from its participants, and ``add_article``, the
last statement before the commit, adds the article to ``entity_stats``. The rare paths (delete,
re-extract, merge) ``refresh`` the entities they touched: a recount from ``entity_articles``.
Deleting an article or an event deletes its rows (foreign keys). Helpers only write and flush;
the caller's use case commits.

Concurrent ingests update the same hot rows ("Russia") on PostgreSQL. ``add_article`` and
``refresh`` take their row locks in entity-id order, in one statement, as the last thing of
their transaction, so no two writers wait on each other in a cycle: whoever holds a stats row
only ever waits for another stats row, and those are taken in one global order. ``refresh``
recounts in a statement that starts after its locks are held (READ COMMITTED takes a snapshot
per statement): the snapshot then includes every writer that added to those rows before, and
writers that come later add on top of the recount. SQLite has one writer at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    Date,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db.base import UTCDateTime
from app.db.models import Article, Entity, EntityArticle, EntityEvent, EntityStats, Mention
from app.db.models.entities import NEVER_SEEN
from app.kb.sql.dialect import insert_ignore

_STATS = cast(Table, EntityStats.__table__)
_LINKS = cast(Table, EntityArticle.__table__)
_EVENTS = cast(Table, EntityEvent.__table__)
_COLUMNS = ["entity_id", "type", "mention_count", "article_count", "last_seen_at"]


# Built once: composing these statements costs more CPU than sending them (~0.7 ms for the
# stats upsert), and an ingest sends each once per article.
_LINK_ARTICLE = insert(_LINKS).from_select(
    ["entity_id", "article_id", "entity_type", "mention_count", "seen_at", "published_on"],
    select(
        Mention.entity_id,
        Mention.article_id,
        Entity.type,
        func.count(),
        bindparam("seen_at", type_=UTCDateTime),
        bindparam("published_on", type_=Date),
    )
    .join(Entity, Entity.id == Mention.entity_id)
    .where(Mention.article_id == bindparam("article_id"))
    .group_by(Mention.entity_id, Mention.article_id, Entity.type),
)


def link_article(session: Session, article: Article) -> None:
    """Insert the article's (entity, article) rows, derived from its stored mentions."""
    published = _utc(article.published_at)
    params = {
        "article_id": article.id,
        "seen_at": published or _utc(article.created_at),
        "published_on": published.date() if published else None,
    }
    session.execute(_LINK_ARTICLE, params)


def link_events(session: Session, links: Iterable[tuple[int, date | None, Iterable[int]]]) -> None:
    """Record that entities take part in events, given as (event id, its start, entity ids).

    A no-op for an entity already in the event; one statement for all of an article's events.
    """
    rows = {
        (id_, event_id): {"entity_id": id_, "event_id": event_id, "date_start": date_start}
        for event_id, date_start, entity_ids in links
        for id_ in entity_ids
    }
    insert_ignore(session, _EVENTS, list(rows.values()), ["entity_id", "event_id"])


def entity_ids_of_article(session: Session, article_id: int) -> set[int]:
    query = select(EntityArticle.entity_id).where(EntityArticle.article_id == article_id)
    return set(session.scalars(query))


def add_article(session: Session, article_id: int, entity_ids: Iterable[int]) -> None:
    """Add a new article to its entities' counts (exact: +mentions, +1 article, newest date).

    ``entity_ids``: every entity the ingest resolved; one without a mention here still gets
    its row (zeros), so that every entity has one.
    """
    ids = sorted(set(entity_ids))
    if ids:
        statement = _add_article(session.get_bind().dialect.name)
        session.execute(statement, {"ids": ids, "article_id": article_id})


@lru_cache(maxsize=2)
def _add_article(dialect: str) -> Any:
    link = EntityArticle
    found = link.article_id.is_not(None)
    rows = (
        select(
            Entity.id,
            Entity.type,
            func.coalesce(link.mention_count, 0),
            case((found, 1), else_=0),
            func.coalesce(link.seen_at, literal(NEVER_SEEN, UTCDateTime)),
        )
        .outerjoin(
            link, and_(link.entity_id == Entity.id, link.article_id == bindparam("article_id"))
        )
        .where(Entity.id.in_(bindparam("ids", expanding=True)))
        .order_by(Entity.id)  # the lock order
    )
    statement = _insert(dialect).from_select(_COLUMNS, rows)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["entity_id"],
        set_={
            "mention_count": _STATS.c.mention_count + new.mention_count,
            "article_count": _STATS.c.article_count + new.article_count,
            "last_seen_at": case(
                (new.last_seen_at > _STATS.c.last_seen_at, new.last_seen_at),
                else_=_STATS.c.last_seen_at,
            ),
        },
    )


def refresh(session: Session, entity_ids: Iterable[int]) -> None:
    """Recount the entities' stats from ``entity_articles`` (after a delete, re-extract, merge)."""
    ids = sorted(set(entity_ids))
    if not ids:
        return
    session.flush()
    # 1. Lock the rows in id order (creating missing ones): a no-op update is a row lock.
    rows = (
        select(Entity.id, Entity.type, literal(0), literal(0), literal(NEVER_SEEN, UTCDateTime))
        .where(Entity.id.in_(ids))
        .order_by(Entity.id)
    )
    statement = _upsert(session).from_select(_COLUMNS, rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["entity_id"], set_={"mention_count": _STATS.c.mention_count}
        )
    )
    # 2. Recount, in a statement whose snapshot starts after the locks are held.
    link = EntityArticle

    def of_entity(value: Any) -> Any:
        return select(value).where(link.entity_id == _STATS.c.entity_id).scalar_subquery()

    session.execute(
        update(_STATS)
        .where(_STATS.c.entity_id.in_(ids))
        .values(
            mention_count=func.coalesce(of_entity(func.sum(link.mention_count)), 0),
            article_count=of_entity(func.count()),
            last_seen_at=func.coalesce(
                of_entity(func.max(link.seen_at)), literal(NEVER_SEEN, UTCDateTime)
            ),
        )
    )


def move_entity(session: Session, old: int, new: int) -> None:
    """Merge: ``old``'s article and event rows become ``new``'s (mention counts added up where
    both were named in one article)."""
    theirs = _LINKS.alias("theirs")
    of_old = select(theirs.c.article_id).where(theirs.c.entity_id == old)
    session.execute(
        update(_LINKS)
        .where(_LINKS.c.entity_id == new, _LINKS.c.article_id.in_(of_old))
        .values(
            mention_count=_LINKS.c.mention_count
            + select(theirs.c.mention_count)
            .where(theirs.c.entity_id == old, theirs.c.article_id == _LINKS.c.article_id)
            .scalar_subquery()
        )
    )
    of_new = select(theirs.c.article_id).where(theirs.c.entity_id == new)
    session.execute(
        delete(_LINKS).where(_LINKS.c.entity_id == old, _LINKS.c.article_id.in_(of_new))
    )
    session.execute(update(_LINKS).where(_LINKS.c.entity_id == old).values(entity_id=new))
    theirs_events = _EVENTS.alias("theirs_events")
    in_new = select(theirs_events.c.event_id).where(theirs_events.c.entity_id == new)
    session.execute(
        delete(_EVENTS).where(_EVENTS.c.entity_id == old, _EVENTS.c.event_id.in_(in_new))
    )
    session.execute(update(_EVENTS).where(_EVENTS.c.entity_id == old).values(entity_id=new))


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _upsert(session: Session) -> Any:
    return _insert(session.get_bind().dialect.name)


def _insert(dialect: str) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_STATS)

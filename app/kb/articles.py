"""Article reads: one article with all its facts, and the newest-first list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from app.db.base import UTCDateTime
from app.db.models import (
    Article,
    ArticleVersion,
    Entity,
    Event,
    EventEvidence,
    EventParticipant,
    Mention,
    Quote,
    Role,
)
from app.errors import NotFound
from app.kb import duplicates
from app.kb.sql.pagination import (
    CursorCodec,
    Page,
    SortKey,
    cursor_datetime,
    cursor_text,
    keyset_page,
)

# Articles without a published date sort as if published when ingested.
sort_time = func.coalesce(Article.published_at, Article.created_at, type_=UTCDateTime)


@dataclass(frozen=True)
class ArticleDetail:
    article: Article
    entities: list[tuple[Entity, int]]  # with mention counts, most mentioned first
    events: list[Event]
    duplicate_of: duplicates.Link | None = None  # the first copy this article repeats
    version: int = 1  # the number of its current text


def get_article_detail(session: Session, article_id: int) -> ArticleDetail:
    """The article with its facts, its first copy if it is a later one, its version number."""
    detail = _article_detail(session, article_id)
    return ArticleDetail(
        detail.article,
        detail.entities,
        detail.events,
        duplicates.link_of(session, article_id),
        _version_number(session, article_id),
    )


def _version_number(session: Session, article_id: int) -> int:
    """One more than the earlier texts kept (``app.kb.versions``)."""
    query = select(func.count()).where(ArticleVersion.article_id == article_id)
    return int(session.scalar(query) or 0) + 1


def get_article(session: Session, article_id: int) -> Article:
    article = session.scalars(
        select(Article).where(Article.id == article_id).options(selectinload(Article.source))
    ).first()
    if article is None:
        raise NotFound(f"Article {article_id} does not exist.")
    return article


def _article_detail(session: Session, article_id: int) -> ArticleDetail:
    """The article, its metadata and every fact extracted from it, in a fixed number of queries.

    Each query costs about a millisecond of ORM work whatever its size, so many-to-one links
    (source, entity, person, speaker...) are joined into their parent's query, and the
    mentions, which the answer only counts, are grouped by the database.
    """
    article = session.scalars(
        select(Article)
        .where(Article.id == article_id)
        .options(
            joinedload(Article.source),
            selectinload(Article.roles).options(joinedload(Role.person), joinedload(Role.of)),
            selectinload(Article.timexes),
            selectinload(Article.amounts),
            selectinload(Article.quotes).joinedload(Quote.speaker),
        )
    ).first()
    if article is None:
        raise NotFound(f"Article {article_id} does not exist.")
    counted: list[tuple[Entity, int]] = [
        (entity, count)
        for entity, count in session.execute(
            select(Entity, func.count(Mention.id))
            .join(Mention, Mention.entity_id == Entity.id)
            .where(Mention.article_id == article_id)
            .group_by(Entity.id)
        )
    ]
    entities = sorted(counted, key=lambda pair: (-pair[1], pair[0].name))
    events = list(
        session.scalars(
            select(Event)
            .where(
                Event.id.in_(
                    select(EventEvidence.event_id).where(EventEvidence.article_id == article_id)
                )
            )
            .options(*event_load_options())
            .order_by(Event.date_start.is_(None), Event.date_start, Event.id)
        )
    )
    return ArticleDetail(article, entities, events)


def event_load_options() -> list[_AbstractLoad]:
    return [
        selectinload(Event.participants).joinedload(EventParticipant.entity),
        selectinload(Event.evidence),
        selectinload(Event.location),
        selectinload(Event.amounts),
    ]


def list_articles(
    session: Session, *, limit: int, cursor: str | None, codec: CursorCodec
) -> Page[Article]:
    """Newest first (published date, else ingest time), keyset-paginated."""
    return keyset_page(
        session,
        select(Article).options(selectinload(Article.source)),
        scope="articles:-published_at",
        keys=[
            SortKey(sort_time, descending=True, parse=cursor_datetime, dump=_iso),
            SortKey(Article.id, descending=True),
        ],
        row_values=lambda a: (a.published_at or a.created_at, a.id),
        limit=limit,
        cursor=cursor,
        codec=codec,
    )


def _iso(value: datetime) -> str:
    return value.isoformat()


def list_mentions(
    session: Session, article_id: int, *, limit: int, cursor: str | None, codec: CursorCodec
) -> Page[Mention]:
    """An article's mentions in reading order (zone, then offset), keyset-paginated."""
    get_article(session, article_id)
    return keyset_page(
        session,
        select(Mention)
        .where(Mention.article_id == article_id)
        .options(selectinload(Mention.entity)),
        scope=f"mentions:{article_id}",
        keys=[
            SortKey(Mention.zone, parse=cursor_text),
            SortKey(Mention.zone_index),
            SortKey(Mention.start),
            SortKey(Mention.id),
        ],
        row_values=lambda m: (m.zone, m.zone_index, m.start, m.id),
        limit=limit,
        cursor=cursor,
        codec=codec,
    )

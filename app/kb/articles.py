"""Article reads: one article row, the newest-first list, an article's mentions.

The whole answer of one article, with all its facts, is ``app.kb.article_page``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from app.db.base import UTCDateTime
from app.db.models import (
    Article,
    Event,
    EventParticipant,
    Mention,
)
from app.errors import NotFound
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


def get_article(session: Session, article_id: int) -> Article:
    article = session.scalars(
        select(Article).where(Article.id == article_id).options(selectinload(Article.source))
    ).first()
    if article is None:
        raise NotFound(f"Article {article_id} does not exist.")
    return article


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

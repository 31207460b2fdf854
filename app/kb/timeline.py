"""An entity's timeline: the dated events it takes part in and the articles mentioning it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import Date, cast, func, literal, select, union_all
from sqlalchemy.orm import Session, selectinload

from app.db.models import Article, Event, EventParticipant, Mention
from app.kb.articles import event_load_options
from app.kb.entities import get_entity
from app.kb.pagination import CursorCodec, Page, SortKey, keyset_page


@dataclass(frozen=True)
class TimelineItem:
    kind: Literal["event", "article"]
    day: date
    event: Event | None = None
    article: Article | None = None


def entity_timeline(
    session: Session, entity_id: int, *, limit: int, cursor: str | None, codec: CursorCodec
) -> Page[TimelineItem]:
    """Oldest first: events by start date, articles by published day; undated ones are left out."""
    get_entity(session, entity_id)
    sqlite = session.get_bind().dialect.name == "sqlite"
    article_day = func.date(Article.published_at) if sqlite else cast(Article.published_at, Date)
    events = select(
        literal("event").label("kind"), Event.id.label("id"), Event.date_start.label("day")
    ).where(
        Event.date_start.is_not(None),
        Event.id.in_(
            select(EventParticipant.event_id).where(EventParticipant.entity_id == entity_id)
        ),
    )
    articles = select(
        literal("article").label("kind"), Article.id.label("id"), article_day.label("day")
    ).where(
        Article.published_at.is_not(None),
        Article.id.in_(select(Mention.article_id).where(Mention.entity_id == entity_id)),
    )
    merged = union_all(events, articles).subquery("timeline")
    day = cast(merged.c.day, Date) if not sqlite else func.date(merged.c.day, type_=Date)
    page = keyset_page(
        session,
        select(merged.c.kind, merged.c.id, day.label("day")),
        scope=f"timeline:{entity_id}",
        keys=[
            SortKey(day, parse=date.fromisoformat, dump=date.isoformat),
            SortKey(merged.c.kind, parse=str),
            SortKey(merged.c.id, parse=int),
        ],
        row_values=lambda row: (_day(row.day), row.kind, row.id),
        limit=limit,
        cursor=cursor,
        codec=codec,
        rows=True,
    )
    event_ids = [row.id for row in page.items if row.kind == "event"]
    article_ids = [row.id for row in page.items if row.kind == "article"]
    found_events = {
        e.id: e
        for e in session.scalars(
            select(Event).where(Event.id.in_(event_ids)).options(*event_load_options())
        )
    }
    found_articles = {
        a.id: a
        for a in session.scalars(
            select(Article).where(Article.id.in_(article_ids)).options(selectinload(Article.source))
        )
    }
    items = [
        TimelineItem(
            row.kind,
            _day(row.day),
            event=found_events.get(row.id) if row.kind == "event" else None,
            article=found_articles.get(row.id) if row.kind == "article" else None,
        )
        for row in page.items
    ]
    return Page(items, page.next_cursor)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))

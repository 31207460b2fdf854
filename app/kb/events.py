"""Event reads: filtered, date-ordered lists and one event with participants and evidence."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, literal, or_, select
from sqlalchemy.orm import Session, selectinload

from app.db.models import Article, Event, EventParticipant
from app.errors import NotFound
from app.kb.articles import event_load_options, sort_time
from app.kb.sql.pagination import CursorCodec, Page, SortKey, cursor_date, keyset_page

_UNDATED = date(9999, 12, 31)  # undated events sort last
_WORD = re.compile(r"\w+")


def list_events(
    session: Session,
    *,
    type: str | None,
    entity_ids: list[int],
    status: str | None,
    date_from: date | None,
    date_to: date | None,
    location_id: int | None = None,
    q: str | None = None,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
) -> Page[Event]:
    """Events in date order; ``entity_ids`` must all take part; dates filter by overlap."""
    query = select(Event).options(*event_load_options())
    if type:
        query = query.where(Event.type == type)
    if status:
        query = query.where(Event.status == status)
    for entity_id in entity_ids:
        query = query.where(
            Event.id.in_(
                select(EventParticipant.event_id).where(EventParticipant.entity_id == entity_id)
            )
        )
    if location_id is not None:
        query = query.where(Event.location_id == location_id)
    if q:
        query = query.where(summary_matches(q))
    if date_from:
        query = query.where(
            or_(
                Event.date_end >= date_from,
                Event.date_end.is_(None) & (Event.date_start >= date_from),
            )
        )
    if date_to:
        query = query.where(Event.date_start <= date_to)
    sort_date = func.coalesce(Event.date_start, _UNDATED)
    filters = f"{type}:{entity_ids}:{status}:{date_from}:{date_to}:{location_id}:{q}"
    return keyset_page(
        session,
        query,
        scope="events:date:" + hashlib.sha256(filters.encode()).hexdigest()[:16],
        keys=[
            SortKey(sort_date, parse=cursor_date, dump=date.isoformat),
            SortKey(Event.id),
        ],
        row_values=lambda e: (e.date_start or _UNDATED, e.id),
        limit=limit,
        cursor=cursor,
        codec=codec,
    )


def summary_matches(q: str) -> ColumnElement[bool]:
    """Every word of ``q`` occurs in the summary (case-insensitive; punctuation ignored)."""
    words = _WORD.findall(q.casefold())[:20]
    if not words:
        return literal(False)
    return and_(*(func.lower(Event.summary).contains(w, autoescape=True) for w in words))


@dataclass(frozen=True)
class EventDetail:
    event: Event
    articles: list[Article]


def get_event_detail(session: Session, event_id: int) -> EventDetail:
    """The event, and the articles its evidence comes from (oldest first)."""
    event = get_event(session, event_id)
    article_ids = {e.article_id for e in event.evidence}
    articles = list(
        session.scalars(
            select(Article)
            .where(Article.id.in_(article_ids))
            .options(selectinload(Article.source))
            .order_by(sort_time, Article.id)
        )
    )
    return EventDetail(event, articles)


def get_event(session: Session, event_id: int) -> Event:
    event = session.scalars(
        select(Event).where(Event.id == event_id).options(*event_load_options())
    ).first()
    if event is None:
        raise NotFound(f"Event {event_id} does not exist.")
    return event

"""Event reads: filtered, date-ordered lists and one event with participants and evidence."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.db.models import Event, EventParticipant
from app.errors import NotFound
from app.kb.articles import event_load_options
from app.kb.pagination import CursorCodec, Page, SortKey, keyset_page

_UNDATED = date(9999, 12, 31)  # undated events sort last


def list_events(
    session: Session,
    *,
    type: str | None,
    entity_ids: list[int],
    status: str | None,
    date_from: date | None,
    date_to: date | None,
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
    filters = f"{type}:{entity_ids}:{status}:{date_from}:{date_to}"
    return keyset_page(
        session,
        query,
        scope=f"events:date:{filters}",
        keys=[
            SortKey(sort_date, parse=date.fromisoformat, dump=date.isoformat),
            SortKey(Event.id, parse=int),
        ],
        row_values=lambda e: (e.date_start or _UNDATED, e.id),
        limit=limit,
        cursor=cursor,
        codec=codec,
    )


def get_event(session: Session, event_id: int) -> Event:
    event = session.scalars(
        select(Event).where(Event.id == event_id).options(*event_load_options())
    ).first()
    if event is None:
        raise NotFound(f"Event {event_id} does not exist.")
    return event

"""An entity's timeline: the dated events it takes part in and the articles mentioning it.

Two streams in the same order, each an index range read from the cursor on with a LIMIT: the
articles from the entity's ``entity_articles`` rows by published day, the events from its
``entity_events`` rows by start date. A page takes the first items of both, merged here, so
no statement reads or sorts the entity's whole history, however long it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from app.db.models import EntityArticle, EntityEvent
from app.errors import InvalidCursor
from app.kb import event_items
from app.kb.entities import require_entity
from app.kb.sql.pagination import CURSOR_ERRORS, CursorCodec, Page, cursor_date, cursor_int

Kind = Literal["event", "article"]
# Items sort by (day, kind, id): on one day, articles ("article" < "event") before events.
_Key = tuple[date, Kind, int]


@dataclass(frozen=True)
class TimelineItem:
    kind: Kind
    day: date
    event: bytes | None = None  # its stored item (``event_items``)
    article: Any = None  # an article row of ``pages.timeline_rows``


def entity_timeline(
    session: Session, entity_id: int, *, limit: int, cursor: str | None, codec: CursorCodec
) -> Page[TimelineItem]:
    """Oldest first: events by start date, articles by published day; undated ones are left out."""
    require_entity(session, entity_id)
    scope = f"timeline:{entity_id}"
    after = _decode(codec, scope, cursor) if cursor else None
    keys = sorted(
        _article_keys(session, entity_id, after, limit + 1)
        + _event_keys(session, entity_id, after, limit + 1)
    )
    more, keys = len(keys) > limit, keys[:limit]
    events, articles = event_items.timeline(
        session,
        [id_ for _, kind, id_ in keys if kind == "event"],
        [id_ for _, kind, id_ in keys if kind == "article"],
    )
    items = [
        TimelineItem(
            kind,
            day,
            event=events.get(id_) if kind == "event" else None,
            article=articles.get(id_) if kind == "article" else None,
        )
        for day, kind, id_ in keys
    ]
    next_cursor = None
    if more:
        day, kind, id_ = keys[-1]
        next_cursor = codec.encode(scope, [day.isoformat(), kind, id_])
    return Page(items, next_cursor)


def _article_keys(session: Session, entity_id: int, after: _Key | None, n: int) -> list[_Key]:
    link = EntityArticle
    return _keys(
        session,
        link.entity_id == entity_id,
        link.published_on,
        link.article_id,
        "article",
        after,
        n,
    )


def _event_keys(session: Session, entity_id: int, after: _Key | None, n: int) -> list[_Key]:
    link = EntityEvent
    return _keys(
        session, link.entity_id == entity_id, link.date_start, link.event_id, "event", after, n
    )


def _keys(
    session: Session,
    of_entity: ColumnElement[bool],
    day: Any,
    id_: Any,
    kind: Kind,
    after: _Key | None,
    n: int,
) -> list[_Key]:
    """The first ``n`` dated items of one stream after the cursor, in (day, id) index order."""
    query = select(day, id_).where(of_entity, day.is_not(None))
    if after is not None:
        query = query.where(_after(day, id_, after, kind))
    rows = session.execute(query.order_by(day, id_).limit(n))
    return [(_day(d), kind, i) for d, i in rows]


def _after(day: Any, id_: Any, after: _Key, kind: Kind) -> ColumnElement[bool]:
    """Items of ``kind`` strictly after the cursor's (day, kind, id)."""
    last_day, last_kind, last_id = after
    if kind == last_kind:
        return or_(day > last_day, and_(day == last_day, id_ > last_id))
    # Same day, other kind: events follow the day's articles, articles precede its events.
    return day >= last_day if kind > last_kind else day > last_day  # type: ignore[no-any-return]


def _decode(codec: CursorCodec, scope: str, cursor: str) -> _Key:
    values = codec.decode(scope, cursor)
    try:
        day, kind, id_ = values
        if kind not in ("event", "article"):
            raise ValueError(kind)
        return cursor_date(day), kind, cursor_int(id_)
    except CURSOR_ERRORS as exc:
        raise InvalidCursor("The cursor does not fit this list.") from exc


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))

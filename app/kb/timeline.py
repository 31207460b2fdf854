"""An entity's timeline: the dated events it takes part in and the articles mentioning it.

Two streams in the same order, each an index range read from the cursor on with a LIMIT: the
articles from the entity's ``entity_articles`` rows by published day, the events from its
``entity_events`` rows by start date. A page takes the first items of both, merged here, so
no statement reads or sorts the entity's whole history, however long it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from app.db.base import as_utc
from app.db.models import EntityArticle, EntityEvent
from app.db.pg_channel import Column, as_utf8, text_column, utf8_column
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
    after = _decode(codec, _scope(entity_id), cursor) if cursor else None
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
    return _page(entity_id, keys, more, events, articles, codec)


def _scope(entity_id: int) -> str:
    return f"timeline:{entity_id}"


def _page(
    entity_id: int,
    keys: list[_Key],
    more: bool,
    events: dict[int, bytes],
    articles: dict[int, Any],
    codec: CursorCodec,
) -> Page[TimelineItem]:
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
        next_cursor = codec.encode(_scope(entity_id), [day.isoformat(), kind, id_])
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


# Reads from the event loop (``answers.AnswerReader.read_timeline``) -------------------------
# The same page in one plain statement: the entity (is it there, was it merged), then the
# first items of both streams after the cursor, merged and cut in SQL in the page's order,
# each with its stored event item or its article.

# Items as (kind number, day, id): articles (1) precede events (2) on one day, as "article"
# precedes "event" in ``_Key``.
_STREAMS = (
    ("article", 1, "entity_articles", "published_on", "article_id"),
    ("event", 2, "entity_events", "date_start", "event_id"),
)


def loop_read(
    entity_id: int, after: _Key | None, limit: int, *, postgresql: bool
) -> tuple[str, tuple[Any, ...]]:
    """The statement and parameters of the entity's row (0, NULL, merged_into_id, ...; none:
    there is no such entity), then up to ``limit + 1`` items in the page's order: (1, day,
    article id, NULL, title, url, published_at as text, source name) and (2, day, event id,
    its stored item or NULL, ...)."""
    day, no_day, no_body, text = "?", "NULL", "NULL", "NULL"
    published, body = "a.published_at", "s.body"
    if postgresql:  # typed: the branches of a UNION agree on their columns' types
        day, no_day = "CAST(? AS date)", "CAST(NULL AS date)"
        no_body, text = "CAST(NULL AS text)", "CAST(NULL AS text)"
        published, body = "CAST(a.published_at AS text)", as_utf8("s.body")
    streams: list[str] = []
    params: list[Any] = []
    for kind, number, table, column, id_ in _STREAMS:
        where = f"entity_id = ? AND {column} IS NOT NULL"
        params.append(entity_id)
        if after is not None:
            last_day, last_kind, last_id = after
            if kind == last_kind:  # a row comparison: a range of the index on both
                where += f" AND ({column}, {id_}) > ({day}, ?)"
                params += [last_day.isoformat(), last_id]
            else:  # on one day, articles precede events
                where += f" AND {column} {'>=' if kind > last_kind else '>'} {day}"
                params.append(last_day.isoformat())
        streams.append(
            f"SELECT * FROM (SELECT {number} AS k, {column} AS day, {id_} AS id FROM {table}"
            f" WHERE {where} ORDER BY {column}, {id_} LIMIT ?) AS s{number}"
        )
        params.append(limit + 1)
    sql = (
        f"SELECT 0, {no_day}, merged_into_id, {no_body}, {text}, {text}, {text}, {text}"
        " FROM entities WHERE id = ?"
        f" UNION ALL SELECT * FROM (SELECT p.k, p.day, p.id, {body}, a.title, a.url,"
        f" {published}, src.name FROM ({' UNION ALL '.join(streams)}) AS p"
        " LEFT JOIN event_items AS s ON p.k = 2 AND s.event_id = p.id AND s.format = ?"
        " LEFT JOIN articles AS a ON p.k = 1 AND a.id = p.id"
        " LEFT JOIN sources AS src ON src.id = a.source_id"
        " ORDER BY p.day, p.k, p.id LIMIT ?) AS page"
    )
    return sql, (entity_id, *params, event_items.answer_format(), limit + 1)


LOOP_COLUMNS: tuple[Column, ...] = (
    *(int, text_column, int, utf8_column),
    *(text_column, text_column, text_column, text_column),
)


def loop_cursor(codec: CursorCodec, entity_id: int, cursor: str) -> _Key:
    """The cursor's key (``InvalidCursor`` when it does not fit this entity's timeline)."""
    return _decode(codec, _scope(entity_id), cursor)


def loop_page(
    entity_id: int, rows: Sequence[tuple[Any, ...]], limit: int, codec: CursorCodec
) -> Page[TimelineItem] | None:
    """The page from the rows of ``loop_read``; None when the entity is not there or was
    merged, or an event's item is not stored (the session answers: 404, 308, or builds it)."""
    entity = [row for row in rows if row[0] == 0]
    if not entity or entity[0][2] is not None:
        return None
    items = [row for row in rows if row[0] != 0]
    more, items = len(items) > limit, items[:limit]
    keys: list[_Key] = []
    events: dict[int, bytes] = {}
    articles: dict[int, Any] = {}
    for number, day, id_, body, title, url, published_at, source in items:
        if number == 2:
            if body is None:
                return None
            keys.append((_day(day), "event", id_))
            events[id_] = bytes(body)
            continue
        keys.append((_day(day), "article", id_))
        when = datetime.fromisoformat(published_at) if published_at is not None else None
        articles[id_] = {
            "id": id_,
            "title": title,
            "url": url,
            "published_at": as_utc(when),
            "source": source,
        }
    return _page(entity_id, keys, more, events, articles, codec)

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
from app.db.pg_channel import Column, bytea_column, text_column
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
# The same page in two plain statements: the entity (is it there, was it merged) and the keys
# of both streams after the cursor; then the page's stored event items and its articles.


def loop_keys(
    entity_id: int, after: _Key | None, limit: int, *, postgresql: bool
) -> tuple[str, tuple[Any, ...]]:
    """The statement and parameters of (0, NULL, merged_into_id) for the entity (no row: there
    is none), then (1, day, article id) and (2, day, event id) rows of both streams."""
    day = "CAST(? AS date)" if postgresql else "?"
    null_day = "CAST(NULL AS date)" if postgresql else "NULL"
    branches = [f"SELECT 0, {null_day}, merged_into_id FROM entities WHERE id = ?"]
    params: list[Any] = [entity_id]
    for kind, number, table, column, id_ in (
        ("article", 1, "entity_articles", "published_on", "article_id"),
        ("event", 2, "entity_events", "date_start", "event_id"),
    ):
        where = f"entity_id = ? AND {column} IS NOT NULL"
        params.append(entity_id)
        if after is not None:
            last_day, last_kind, last_id = after
            if kind == last_kind:
                where += f" AND ({column} > {day} OR ({column} = {day} AND {id_} > ?))"
                params += [last_day.isoformat(), last_day.isoformat(), last_id]
            else:  # on one day, articles precede events
                where += f" AND {column} {'>=' if kind > last_kind else '>'} {day}"
                params.append(last_day.isoformat())
        branches.append(
            f"SELECT * FROM (SELECT {number}, {column}, {id_} FROM {table} WHERE {where}"
            f" ORDER BY {column}, {id_} LIMIT ?) AS s{number}"
        )
        params.append(limit + 1)
    return " UNION ALL ".join(branches), tuple(params)


LOOP_KEY_COLUMNS: tuple[Column, ...] = (int, text_column, int)


def loop_items(
    event_ids: Sequence[int], article_ids: Sequence[int], *, postgresql: bool
) -> tuple[str, tuple[Any, ...]]:
    """The statement and parameters of (1, event id, stored item) and (2, article id, title,
    url, published_at as text, source name) rows of a page."""
    format_ = event_items.answer_format()
    if postgresql:
        events = "s.event_id = ANY(CAST(? AS integer[]))"
        articles = "a.id = ANY(CAST(? AS integer[]))"
        params: tuple[Any, ...] = (_array(event_ids), format_, _array(article_ids))
        text, blob = "CAST(NULL AS text)", "CAST(NULL AS bytea)"
        published = "CAST(a.published_at AS text)"
    else:
        events = f"s.event_id IN ({','.join('?' * len(event_ids))})"
        articles = f"a.id IN ({','.join('?' * len(article_ids))})"
        params = (*event_ids, format_, *article_ids)
        text, blob, published = "NULL", "NULL", "a.published_at"
    sql = (
        f"SELECT 1, s.event_id, s.body, {text}, {text}, {text}, {text} FROM event_items AS s"
        f" WHERE {events} AND s.format = ?"
        f" UNION ALL SELECT 2, a.id, {blob}, a.title, a.url, {published}, src.name"
        " FROM articles AS a LEFT JOIN sources AS src ON src.id = a.source_id"
        f" WHERE {articles}"
    )
    return sql, params


def _array(ids: Sequence[int]) -> str:
    return "{" + ",".join(map(str, ids)) + "}"


LOOP_ITEM_COLUMNS: tuple[Column, ...] = (
    *(int, int, bytea_column),
    *(text_column, text_column, text_column, text_column),
)


def loop_cursor(codec: CursorCodec, entity_id: int, cursor: str) -> _Key:
    """The cursor's key (``InvalidCursor`` when it does not fit this entity's timeline)."""
    return _decode(codec, _scope(entity_id), cursor)


def loop_keys_page(rows: Sequence[tuple[Any, ...]], limit: int) -> tuple[list[_Key], bool] | None:
    """The page's keys from the rows of ``loop_keys``, and whether more follow; None when the
    entity is not there or was merged (the session answers: 404, 308)."""
    entity = [row for row in rows if row[0] == 0]
    if not entity or entity[0][2] is not None:
        return None
    keys: list[_Key] = sorted(
        (_day(day), "article" if number == 1 else "event", id_)
        for number, day, id_ in rows
        if number != 0
    )
    return keys[:limit], len(keys) > limit


def loop_page(
    entity_id: int,
    keys: list[_Key],
    more: bool,
    rows: Sequence[tuple[Any, ...]],
    codec: CursorCodec,
) -> Page[TimelineItem] | None:
    """The page from its keys and the rows of ``loop_items``; None when an event's item is not
    stored (the session builds it)."""
    events: dict[int, bytes] = {}
    articles: dict[int, Any] = {}
    for number, id_, body, title, url, published_at, source in rows:
        if number == 1:
            events[id_] = bytes(body)
        else:
            when = datetime.fromisoformat(published_at) if published_at is not None else None
            articles[id_] = {
                "id": id_,
                "title": title,
                "url": url,
                "published_at": as_utc(when),
                "source": source,
            }
    if any(kind == "event" and id_ not in events for _, kind, id_ in keys):
        return None
    return _page(entity_id, keys, more, events, articles, codec)

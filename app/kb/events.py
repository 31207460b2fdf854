"""Event reads: filtered, date-ordered lists and one event with participants and evidence."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import ColumnElement, Date, Select, and_, func, literal, literal_column, or_, select
from sqlalchemy.orm import Session

from app.db.fts import UNDATED_EVENTS_SORT
from app.db.models import Event, EventParticipant
from app.kb import event_items
from app.kb.sql.idlist import linked_to_all
from app.kb.sql.pagination import (
    CursorCodec,
    Page,
    SortKey,
    cursor_condition,
    cursor_date,
    cursor_int,
    keyset_page,
    page_of,
)

_UNDATED = date.fromisoformat(UNDATED_EVENTS_SORT)  # undated events sort last


# Written out, not bound: the expression of the index in this order (PostgreSQL, 0018).
def _sort_date(date_start: Any) -> ColumnElement[date]:
    return func.coalesce(date_start, literal_column(f"'{UNDATED_EVENTS_SORT}'", type_=Date))


_SORT_DATE = _sort_date(Event.date_start)
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
) -> Page[bytes]:
    """Events in date order; ``entity_ids`` must all take part; dates filter by overlap.

    The page is read as ids, then its items as their stored JSON (``event_items.bodies``):
    built from their rows, each item costs several times the CPU of the queries themselves.
    """
    query = cast("Select[Any]", select(Event.id, Event.date_start))
    if type:
        query = query.where(Event.type == type)
    if status:
        query = query.where(Event.status == status)
    if entity_ids:
        dialect = session.get_bind().dialect.name
        query = query.where(
            Event.id.in_(
                linked_to_all(
                    EventParticipant.event_id, EventParticipant.entity_id, entity_ids, dialect
                )
            )
        )
    if location_id is not None:
        query = query.where(Event.location_id == location_id)
    if date_from:
        query = query.where(
            or_(
                Event.date_end >= date_from,
                Event.date_end.is_(None) & (Event.date_start >= date_from),
            )
        )
    if date_to:
        query = query.where(Event.date_start <= date_to)
    scope = list_scope(type, entity_ids, status, date_from, date_to, location_id, q)
    keys = [SortKey(_SORT_DATE, parse=cursor_date, dump=date.isoformat), SortKey(Event.id)]
    page: Page[Any]
    if q and session.get_bind().dialect.name == "postgresql":
        later = cursor_condition(keys, scope=scope, cursor=cursor, codec=codec)
        if later is not None:
            query = query.where(later)
        found = _with_summary(session, query, q, limit + 1)
        page = page_of(
            found,
            keys=keys,
            row_values=_event_sort_values,
            limit=limit,
            scope=scope,
            cursor=cursor,
            codec=codec,
        )
    else:
        if q:
            query = query.where(summary_matches(q))
        page = keyset_page(
            session,
            query,
            scope=scope,
            keys=keys,
            row_values=_event_sort_values,
            limit=limit,
            cursor=cursor,
            codec=codec,
            rows=True,
        )
    items = event_items.bodies(session, [row.id for row in page.items])
    return Page(items, page.next_cursor)


def list_scope(
    type: str | None,
    entity_ids: list[int],
    status: str | None,
    date_from: date | None,
    date_to: date | None,
    location_id: int | None,
    q: str | None,
) -> str:
    """The scope of a list's cursors: a cursor of one list of events fits no other."""
    filters = f"{type}:{entity_ids}:{status}:{date_from}:{date_to}:{location_id}:{q}"
    return "events:date:" + hashlib.sha256(filters.encode()).hexdigest()[:16]


ALL_EVENTS = list_scope(None, [], None, None, None, None, None)


def after_cursor(codec: CursorCodec, cursor: str) -> tuple[str, int]:
    """The (sort date, id) of the last event before ``cursor`` in the list of all events
    (``InvalidCursor``, ``CURSOR_ERRORS``: the cursor does not fit it)."""
    day, id_ = codec.decode(ALL_EVENTS, cursor)
    return cursor_date(day).isoformat(), cursor_int(id_)


def page_of_all(
    rows: Sequence[tuple[int, str | None, bytes | None]], *, limit: int, codec: CursorCodec
) -> Page[bytes] | None:
    """A page of the list of all events from the ``limit + 1`` rows (id, start date in ISO
    form, stored item) read after its cursor; None when an item is not stored."""
    more, rows = len(rows) > limit, rows[:limit]
    if any(body is None for _, _, body in rows):
        return None
    next_cursor = None
    if more:
        event_id, day, _ = rows[-1]
        next_cursor = codec.encode(ALL_EVENTS, [day or UNDATED_EVENTS_SORT, event_id])
    return Page([body for _, _, body in rows if body is not None], next_cursor)


def _event_sort_values(row: Any) -> tuple[date, int]:
    return (row.date_start or _UNDATED, row.id)


def summary_matches(q: str, summary: Any = Event.summary) -> ColumnElement[bool]:
    """Every word of ``q`` occurs in the summary (case-insensitive; punctuation ignored)."""
    words = _words(q)
    if not words:
        return literal(False)
    return and_(*(func.lower(summary).contains(w, autoescape=True) for w in words))


def _words(q: str) -> list[str]:
    """The words ``summary_matches`` looks for: at most 20, case-folded."""
    return _WORD.findall(q.casefold())[:20]


# Up to this many events whose summary has the words (the planner's estimate, then the count,
# PostgreSQL), every match is found through the summaries' trigram index and sorted; past it,
# the words are left to the planner's own plan, as before. Given the words and the date order
# in one statement, the planner walks the date order whenever it expects to meet the words
# soon, supposing their events spread evenly over the dates: a name whose events come late
# read tens of thousands ("milburn" at a million articles, 5,227 estimated: 45,530 events read
# for 6, 135-220 ms; its 8,143 matches through the index: 16 ms). Words in more events are met
# soon in the date order, and sorting their matches costs more ("meet" at 100,000 articles,
# 13,371 estimated: 6 ms walked, 25 ms sorted).
SUMMARY_INDEX_MAX = 10_000


def _with_summary(session: Session, query: Select[Any], q: str, n: int) -> list[Any]:
    """The first ``n`` events of ``query`` in date order whose summary has every word of
    ``q``: through the trigram index when every word has trigrams and the planner expects at
    most ``SUMMARY_INDEX_MAX`` events, and they are no more; else by the planner's own plan."""
    matching = query.where(summary_matches(q))
    planned = matching.order_by(_SORT_DATE, Event.id).limit(n)
    if not _has_trigrams(q) or _estimated_matches(session, q) > SUMMARY_INDEX_MAX:
        return list(session.execute(planned))
    # MATERIALIZED: the date order and the page's limit stay outside, so the words choose the
    # index. At most SUMMARY_INDEX_MAX + 1 matches: estimates of several words suppose them
    # independent ("tony blair": 368 estimated, 60,833 found at a million articles), and past
    # the bound the planner's own plan answers instead.
    bounded = matching.limit(SUMMARY_INDEX_MAX + 1).cte("matched").prefix_with("MATERIALIZED")
    found = func.count().over().label("found")
    page = select(bounded.c.id, bounded.c.date_start, found)
    page = page.order_by(_sort_date(bounded.c.date_start), bounded.c.id).limit(n)
    rows = list(session.execute(page))
    if rows and rows[0].found > SUMMARY_INDEX_MAX:
        return list(session.execute(planned))
    return rows


def _has_trigrams(q: str) -> bool:
    """Every word of ``q`` gives the trigram index something to look up: three letters or
    digits at least (pg_trgm finds none in a shorter word, nor across an underscore, and
    reads the whole table for such a ``LIKE``)."""
    words = _words(q)
    return bool(words) and all(len(w) >= 3 and "_" not in w for w in words)


def _estimated_matches(session: Session, q: str) -> float:
    """The planner's estimate of the events whose summary has every word of ``q`` (an upper
    bound for a list with other filters)."""
    statement = select(Event.id).where(summary_matches(q))
    compiled = statement.compile(dialect=session.get_bind().dialect)
    explain = "EXPLAIN (FORMAT JSON) " + str(compiled)
    plan = session.connection().exec_driver_sql(explain, compiled.params).scalar_one()
    return float(plan[0]["Plan"]["Plan Rows"])

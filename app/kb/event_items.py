"""Stored event items: a page of events (``/v1/events``, a timeline) reads its items' bytes.

An event's item (``EventRead`` as JSON) is stored by the writes that change it, with what it
shows (``event_item_shows``): the same writes that rebuild the article answers showing the
event (``app.kb.answers`` marks them), and the renames and merges of an entity it names. A
list reads the stored bytes of its page's events and builds only those without a row of the
current format (after an upgrade, until ``newskb answers`` has stored them again).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db.fts import UNDATED_EVENTS_SORT
from app.db.models import Event, EventItem, EventItemShows
from app.db.pg_channel import Column, as_utf8, text_column, utf8_column
from app.kb import pages
from app.kb.shown import Shown, shown_by
from app.kb.sql.batches import batches
from app.kb.sql.pagination import MAX_LIMIT
from app.kb.stored_answer import AnswerRows, format_of
from app.schemas.events import EventRead

BATCH = 200  # items per batch of statements

ROWS = AnswerRows(EventItem, EventItemShows, "event_id", ("format", "body"))


def _list_of_all(order: str, after: str) -> tuple[str, str]:
    """The loop's reads of a page of ``/v1/events`` (no filter) on SQLite: (id, start date,
    stored item), first page and after a cursor, in the order of the events' date index."""
    first = (
        "SELECT e.id, e.date_start, s.body FROM events AS e"
        " LEFT JOIN event_items AS s ON s.event_id = e.id AND s.format = ?"
    )
    tail = f" ORDER BY {order}, e.id LIMIT ?"
    return first + tail, f"{first} WHERE ({order}, e.id) > ({after}){tail}"


# A page of at most MAX_LIMIT, and one more row that tells whether there is a next.
MAX_ROWS = MAX_LIMIT + 1


def _list_of_all_postgres(order: str, after: str) -> tuple[str, str]:
    """The same on PostgreSQL, whose loop connection plans a statement once for any parameters:
    a ``LIMIT ?`` it cannot see is taken for a tenth of the events, and at 300,000 events
    that plan gathered the range from two parallel workers (a ``Gather Merge``). The range of
    the index is cut at a constant (``MAX_ROWS``) before the join, and the page at its own
    limit after it; the order is a column of the range, so the join streams in it."""

    def page(where: str) -> str:
        return (
            f"SELECT p.id, p.date_start, {as_utf8('s.body')} FROM (SELECT e.id, e.date_start,"
            f" {order} AS day FROM events AS e{where} ORDER BY {order}, e.id LIMIT {MAX_ROWS})"
            " AS p LEFT JOIN event_items AS s ON s.event_id = p.id AND s.format = ?"
            " ORDER BY p.day, p.id LIMIT ?"
        )

    return page(""), page(f" WHERE ({order}, e.id) > ({after})")


# The order's expression is the index's (migrations 0018 and 0022): the page is read in it.
LIST_SQLITE = _list_of_all(f"coalesce(e.date_start, '{UNDATED_EVENTS_SORT}')", "?, ?")
LIST_POSTGRES = _list_of_all_postgres(
    f"coalesce(e.date_start, '{UNDATED_EVENTS_SORT}'::date)",
    "CAST(? AS date), CAST(? AS integer)",
)


def list_read(
    after: tuple[str, int] | None, limit: int, *, postgresql: bool
) -> tuple[str, tuple[Any, ...]]:
    """The statement and parameters of a page of all events: first, or ``after`` a cursor
    (its start date, as text, and id)."""
    if limit + 1 > MAX_ROWS:  # PostgreSQL's range would end the list early, without a word
        raise ValueError(f"a page of at most {MAX_ROWS - 1} events")
    first, later = LIST_POSTGRES if postgresql else LIST_SQLITE
    format_ = answer_format()
    if after is None:
        return first, (format_, limit + 1)
    if postgresql:  # the range's bound comes first
        return later, (*after, format_, limit + 1)
    return later, (format_, *after, limit + 1)


LIST_COLUMNS: tuple[Column, ...] = (int, text_column, utf8_column)


def answer_format() -> str:
    """The code that builds event items (``stored_answer.format_of``)."""
    return format_of(EventRead)


def built(session: Session, event_ids: Sequence[int]) -> dict[int, tuple[bytes, Shown]]:
    """The items of these events as they are now, with what each shows (an event gone has
    none), in one statement."""
    found = {}
    for item in pages.event_items(session, event_ids):
        model = EventRead.model_validate(item)
        found[model.id] = (model.model_dump_json().encode("utf-8"), shown_by(model))
    return found


def bodies(session: Session, event_ids: Sequence[int]) -> list[bytes]:
    """The items of these events, in the order given (an event gone is left out)."""
    found = by_id(session, event_ids)
    return [found[id_] for id_ in event_ids if id_ in found]


def by_id(session: Session, event_ids: Sequence[int]) -> dict[int, bytes]:
    """The items of these events by id: stored ones read, the others built."""
    if not event_ids:
        return {}
    found = _stored(session, event_ids)
    if missing := [id_ for id_ in event_ids if id_ not in found]:
        found.update((id_, body) for id_, (body, _) in built(session, missing).items())
    return found


def _stored(session: Session, event_ids: Sequence[int]) -> dict[int, bytes]:
    """The stored items of the current format of these events, by event id."""
    rows = session.execute(
        select(EventItem.event_id, EventItem.body).where(
            EventItem.event_id.in_(event_ids), EventItem.format == answer_format()
        )
    )
    return {event_id: bytes(body) for event_id, body in rows}


def timeline(
    session: Session, event_ids: Sequence[int], article_ids: Sequence[int]
) -> tuple[dict[int, bytes], dict[int, Any]]:
    """A timeline page's event items (stored, else built) and articles
    (``pages.timeline_rows``), by id: one statement when every item is stored."""
    events, articles = pages.timeline_rows(session, event_ids, article_ids, format_=answer_format())
    if missing := [id_ for id_ in event_ids if id_ not in events]:
        events.update((id_, body) for id_, (body, _) in built(session, missing).items())
    return events, articles


def store(
    session: Session,
    event_ids: Sequence[int],
    *,
    created: Iterable[int] = (),
    deferred: set[int] | None = None,
) -> None:
    """Store these events' items as they are now; an event gone loses its row. The
    ``created`` ones have no row yet, nor any to wait for; with ``deferred``, those without
    a row are left there (``AnswerRows.to_build``)."""
    new = set(created)
    format_ = answer_format()
    for ids in batches(event_ids, BATCH):
        if not (chunk := ROWS.to_build(session, ids, created=new, deferred=deferred)):
            continue
        items = built(session, chunk)  # one statement for the batch
        rows: list[dict[str, Any]] = [
            {"event_id": id_, "format": format_, "body": body} for id_, (body, _) in items.items()
        ]
        ROWS.write(
            session, chunk, rows, {id_: shown for id_, (_, shown) in items.items()}, created=new
        )


def showing(session: Session, entity_ids: Iterable[int]) -> set[int]:
    """The events whose stored items name any of ``entity_ids`` (a participant, the place)."""
    return ROWS.showing(session, "entity", entity_ids)


def drop_orphans(session: Session) -> None:
    """Delete the items of events deleted without a mark (a repair's events without evidence):
    no foreign key does it (``EventItem``)."""
    session.execute(
        delete(EventItem).where(~select(Event.id).where(Event.id == EventItem.event_id).exists())
    )


# Maintenance (``newskb answers``) ----------------------------------------------------------


def stale_ids(session: Session, *, everything: bool = False) -> list[int]:
    """Events without a stored item of the current format (every event: ``everything``)."""
    query = select(Event.id).order_by(Event.id)
    if not everything:
        current = (EventItem.event_id == Event.id) & (EventItem.format == answer_format())
        query = query.where(~select(EventItem.event_id).where(current).exists())
    return list(session.scalars(query))


def differing(session: Session, event_ids: Sequence[int]) -> list[int]:
    """The events whose stored item (of the current format) is not what is built now."""
    wrong = []
    for chunk in batches(event_ids, BATCH):
        stored = _stored(session, chunk)
        now = built(session, list(stored))
        wrong += [
            id_ for id_, body in stored.items() if id_ not in now or bytes(body) != now[id_][0]
        ]
    return sorted(wrong)

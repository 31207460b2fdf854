"""The truth about stored answers: each is the answer built now (``app.kb.answers``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import (
    ArticleAnswer,
    ArticleAnswerShows,
    EntityAnswer,
    EntityAnswerShows,
    EventItem,
    EventItemShows,
)
from app.kb import answers, entity_answers, event_items
from app.kb.answers import AnswerReader
from app.kb.shown import Shown


def _stored(
    session: Session, answers_model: Any, shows_model: Any, key: str
) -> tuple[dict[int, Any], dict[int, set[tuple[str, int]]]]:
    """A table of stored answers as it is now: its rows and what each shows, by ``key``."""
    session.expire_all()
    rows = {getattr(row, key): row for row in session.scalars(select(answers_model))}
    shows: dict[int, set[tuple[str, int]]] = {}
    for shown in session.scalars(select(shows_model)):
        shows.setdefault(getattr(shown, key), set()).add((shown.kind, shown.object_id))
    return rows, shows


def assert_answers_current(session: Session) -> dict[int, bytes]:
    """Every article's, every live entity's and every event's stored answer is the one built
    now; returns the articles' by article id."""
    assert_entity_answers_current(session)
    assert_event_items_current(session)
    rows, shows = _stored(session, ArticleAnswer, ArticleAnswerShows, "article_id")
    assert set(rows) == set(answers.stale_ids(session, everything=True))
    assert answers.stale_ids(session) == []
    for article_id, row in rows.items():
        built = answers.build(session, article_id)
        assert isinstance(built.shown, Shown)
        assert bytes(row.body) == built.body, f"article {article_id}"
        assert row.etag == built.etag == answers.strong_etag(built.body)
        assert row.format == answers.answer_format()
        assert Shown.from_json(row.shown) == built.shown
        assert shows[article_id] == built.shown.objects()
    return {article_id: bytes(row.body) for article_id, row in rows.items()}


def assert_entity_answers_current(session: Session) -> dict[int, bytes]:
    """Every live entity's stored answer, its counts written in, is the one built now (and a
    merged entity has none); returns them by entity id."""
    rows, shows = _stored(session, EntityAnswer, EntityAnswerShows, "entity_id")
    assert set(rows) == set(entity_answers.stale_ids(session, everything=True))
    assert entity_answers.stale_ids(session) == []
    bodies = {}
    for entity_id, row in rows.items():
        built = entity_answers.build(session, entity_id)
        stored = entity_answers.stored(session, entity_id)
        assert built is not None and stored is not None, f"entity {entity_id}"
        assert isinstance(built.shown, Shown)
        assert stored.body == built.body, f"entity {entity_id}"
        assert stored.etag == built.etag
        assert row.format == entity_answers.answer_format()
        assert Shown.from_json(row.shown) == built.shown
        assert shows[entity_id] == built.shown.objects()
        bodies[entity_id] = stored.body
    return bodies


def assert_event_items_current(session: Session) -> dict[int, bytes]:
    """Every event's stored item is the one built now; returns them by event id."""
    rows, shows = _stored(session, EventItem, EventItemShows, "event_id")
    assert set(rows) == set(event_items.stale_ids(session, everything=True))
    assert event_items.stale_ids(session) == []
    built = event_items.built(session, sorted(rows))
    for event_id, row in rows.items():
        body, what = built[event_id]
        assert bytes(row.body) == body, f"event {event_id}"
        assert row.format == event_items.answer_format()
        assert shows[event_id] == what.objects()
    return {event_id: bytes(row.body) for event_id, row in rows.items()}


def count_loop_reads(reader: AnswerReader, statements: list[str]) -> None:
    """Append to ``statements`` each read the reader makes in the event loop, on a connection
    of its own that the engine's statement events never see."""
    reads = reader._reads
    rows, sqlite_rows = reads.rows, reads.sqlite_rows

    async def counted_rows(sql: str, *args: Any) -> list[tuple[Any, ...]]:
        if not reads.sqlite:  # on SQLite ``rows`` runs ``sqlite_rows``, counted there
            statements.append(sql)
        return await rows(sql, *args)

    def counted_sqlite_rows(sql: str, *args: Any) -> list[tuple[Any, ...]]:
        statements.append(sql)
        return sqlite_rows(sql, *args)

    reads.rows, reads.sqlite_rows = counted_rows, counted_sqlite_rows  # type: ignore[method-assign]

"""The truth about stored article answers: each is the answer built now (``app.kb.answers``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import ArticleAnswer, ArticleAnswerShows
from app.kb import answers
from app.kb.answers import AnswerReader
from app.kb.shown import Shown


def assert_answers_current(session: Session) -> dict[int, bytes]:
    """Every article's stored answer is the one built now; returns them by article id."""
    session.expire_all()
    rows = {row.article_id: row for row in session.scalars(select(ArticleAnswer))}
    shows: dict[int, set[tuple[str, int]]] = {}
    for shown in session.scalars(select(ArticleAnswerShows)):
        shows.setdefault(shown.article_id, set()).add((shown.kind, shown.object_id))
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


def count_loop_reads(reader: AnswerReader, statements: list[str]) -> None:
    """Append to ``statements`` each read the reader makes in the event loop, on a connection
    of its own that the engine's statement events never see."""
    reads = reader._reads
    rows, sqlite_rows = reads.rows, reads.sqlite_rows

    async def counted_rows(sql: str, *args: Any) -> list[tuple[Any, ...]]:
        statements.append(sql)
        return await rows(sql, *args)

    def counted_sqlite_rows(sql: str, *args: Any) -> list[tuple[Any, ...]]:
        statements.append(sql)
        return sqlite_rows(sql, *args)

    reads.rows, reads.sqlite_rows = counted_rows, counted_sqlite_rows  # type: ignore[method-assign]

"""Stored article and entity answers read from the event loop (``AnswerReader``), on
committed data.

These tests serve a database of their own, written and committed for real: the loop's reads
run on a connection of their own, which the shared test session's outer transaction hides.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from app.db import migrate
from app.db.engine import make_engine
from app.db.models import ArticleAnswer, Entity, EntityAnswer, EntityStats, EventItem
from app.errors import NotFound
from app.kb import answers, curate, entity_answers
from app.kb.ingest import ingest_article
from app.main import create_app
from app.settings import Settings
from tests.databases import temporary_database
from tests.factories import meeting_article

REPORTS = 12


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[tuple[str, list[int]]]:
    """A database of REPORTS articles (all reporting one meeting), committed: its URL and ids."""
    with temporary_database(tmp_path, "answers_loop") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        with Session(engine) as session:
            report = (
                "Vladimir Putin met Alexander Lukashenko in Russia on Thursday, report {} said."
            )
            ids = [
                ingest_article(session, meeting_article(report.format(n))).article.id
                for n in range(REPORTS)
            ]
        engine.dispose()
        yield url, ids


@pytest.fixture
def engine(stored: tuple[str, list[int]]) -> Iterator[Engine]:
    engine = make_engine(stored[0])
    yield engine
    engine.dispose()


def built(engine: Engine, article_id: int) -> answers.Answer:
    with Session(engine) as session:
        return answers.build(session, article_id)


def _counted(reader: answers.AnswerReader, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements the reader sends to PostgreSQL from now on (``LoopReads.rows``)."""
    sent: list[str] = []
    real = reader._reads.rows

    async def counted(sql: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        sent.append(sql)
        return await real(sql, *args, **kwargs)

    monkeypatch.setattr(reader._reads, "rows", counted)
    return sent


def test_the_loop_reads_each_stored_answer_many_at_once(
    engine: Engine, stored: tuple[str, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ids = stored
    reader = answers.AnswerReader(engine)
    queries = _counted(reader, monkeypatch)

    async def read_all() -> list[answers.Answer | None]:
        return await asyncio.gather(*(reader.read(id_) for id_ in [*ids, *ids]))

    try:
        found = asyncio.run(read_all())
        with pytest.raises(NotFound):
            asyncio.run(reader.read(max(ids) + 1))
    finally:
        reader.close()
    for id_, answer in zip([*ids, *ids], found, strict=True):
        expected = built(engine, id_)
        assert answer is not None and (answer.body, answer.etag) == (expected.body, expected.etag)
    if engine.dialect.name == "postgresql":  # one query for the first read, one for the rest
        assert len(queries) <= 3


def test_a_missing_or_older_row_or_a_failed_read_is_left_to_the_session(
    engine: Engine, stored: tuple[str, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ids = stored
    with Session(engine) as session:
        session.execute(
            update(ArticleAnswer).where(ArticleAnswer.article_id == ids[0]).values(format="old")
        )
        session.commit()
    reader = answers.AnswerReader(engine)
    try:
        assert asyncio.run(reader.read(ids[0])) is None
        assert asyncio.run(reader.read(ids[1])) is not None

        def fail(*args: Any, **kwargs: Any) -> Any:
            raise TimeoutError("the database is away")

        monkeypatch.setattr(reader._reads, "rows", fail)
        monkeypatch.setattr(reader._reads, "sqlite_rows", fail)
        assert asyncio.run(reader.read(ids[1])) is None
    finally:
        reader.close()


def test_the_api_answers_from_the_loop_and_falls_back_to_its_session(
    stored: tuple[str, list[int]], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ids = stored
    app = create_app(Settings(database_url=url, read_cache_size=0))
    with TestClient(app) as client:
        reader = app.state.answer_reader
        for id_ in ids[:3]:
            answer = client.get(f"/v1/articles/{id_}")
            expected = built(engine, id_)
            assert (answer.content, answer.headers["etag"]) == (expected.body, expected.etag)
        assert client.get(f"/v1/articles/{max(ids) + 1}").status_code == 404
        with Session(engine) as session:  # what the loop reads is the stored row
            session.execute(
                update(ArticleAnswer)
                .where(ArticleAnswer.article_id == ids[0])
                .values(body=b'{"from": "the row"}')
            )
            session.commit()
        assert client.get(f"/v1/articles/{ids[0]}").content == b'{"from": "the row"}'

        async def away(article_id: int) -> None:
            return None

        monkeypatch.setattr(reader, "read", away)  # what a failed read answers
        fallback = client.get(f"/v1/articles/{ids[1]}")
        assert fallback.status_code == 200
        assert fallback.content == built(engine, ids[1]).body


def built_entity(engine: Engine, entity_id: int) -> answers.Answer:
    with Session(engine) as session:
        answer = entity_answers.build(session, entity_id)
    assert answer is not None
    return answer


def entity_ids(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return dict(session.execute(select(Entity.name, Entity.id)).all())


def test_the_loop_reads_entity_answers_with_their_counts_beside_article_answers(
    engine: Engine, stored: tuple[str, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ids = stored
    names = entity_ids(engine)
    reader = answers.AnswerReader(engine)
    queries = _counted(reader, monkeypatch)
    wanted = sorted(names.values())

    async def read_all() -> list[answers.Answer | None]:
        entities = [reader.read_entity(id_) for id_ in [*wanted, *wanted]]
        return await asyncio.gather(*entities, *(reader.read(id_) for id_ in ids))

    try:
        found = asyncio.run(read_all())
        with pytest.raises(NotFound):
            asyncio.run(reader.read_entity(max(wanted) + 1))
    finally:
        reader.close()
    for id_, answer in zip([*wanted, *wanted], found, strict=False):
        expected = built_entity(engine, id_)
        assert answer is not None and (answer.body, answer.etag) == (expected.body, expected.etag)
    putin = json.loads(found[wanted.index(names["Vladimir Putin"])].body)  # type: ignore[union-attr]
    assert putin["article_count"] == REPORTS
    for id_, answer in zip(ids, found[2 * len(wanted) :], strict=True):
        assert answer is not None and answer.body == built(engine, id_).body
    if engine.dialect.name == "postgresql":  # a query per kind for the first reads, then the rest
        assert len(queries) <= 4


def test_the_api_answers_entities_from_the_loop_and_redirects_a_merged_one(
    stored: tuple[str, list[int]], engine: Engine
) -> None:
    url, _ = stored
    names = entity_ids(engine)
    putin, lukashenko = names["Vladimir Putin"], names["Alexander Lukashenko"]
    app = create_app(Settings(database_url=url, read_cache_size=0))
    with TestClient(app) as client:
        answer = client.get(f"/v1/entities/{putin}")
        expected = built_entity(engine, putin)
        assert (answer.content, answer.headers["etag"]) == (expected.body, expected.etag)
        assert client.get(f"/v1/entities/{max(names.values()) + 1}").status_code == 404
        with Session(engine) as session:  # the counts move, the stored bytes stay
            ingest_article(
                session,
                meeting_article(
                    "Vladimir Putin met Alexander Lukashenko in Russia on Thursday, once more."
                ),
            )
            session.execute(
                update(EntityAnswer)
                .where(EntityAnswer.entity_id == putin)
                .values(head=b'{"from":"the row",')
            )
            session.commit()
        moved = client.get(f"/v1/entities/{putin}")
        assert moved.content.startswith(b'{"from":"the row","mention_count":')
        assert json.loads(moved.content)["article_count"] == REPORTS + 1
        with Session(engine) as session:
            curate.merge_entities(session, lukashenko, putin)
        merged = client.get(f"/v1/entities/{lukashenko}", follow_redirects=False)
        assert merged.status_code == 308
        assert merged.headers["location"].endswith(f"/v1/entities/{putin}")


def test_the_loop_writes_in_counts_of_any_time_as_the_schema_does(
    engine: Engine, stored: tuple[str, list[int]]
) -> None:
    """A last-seen time with microseconds, off midnight, read back from the database's own
    text form (PostgreSQL) or the stored string (SQLite)."""
    putin = entity_ids(engine)["Vladimir Putin"]
    seen = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
    with Session(engine) as session:
        session.execute(
            update(EntityStats)
            .where(EntityStats.entity_id == putin)
            .values(mention_count=98765, last_seen_at=seen)
        )
        session.commit()
    reader = answers.AnswerReader(engine)
    try:
        answer = asyncio.run(reader.read_entity(putin))
    finally:
        reader.close()
    expected = built_entity(engine, putin)
    assert answer is not None and (answer.body, answer.etag) == (expected.body, expected.etag)
    assert json.loads(answer.body)["last_seen"] == "2024-02-29T23:59:58.123456Z"


def test_lists_of_events_from_the_loop_read_the_stored_items_else_the_session_builds_them(
    stored: tuple[str, list[int]], engine: Engine
) -> None:
    """``/v1/events`` and a timeline answer the stored item (here a stand-in); with no item of
    the current format, the session builds the page, as it did before the item was touched."""
    url, _ = stored
    putin = entity_ids(engine)["Vladimir Putin"]
    paths = ["/v1/events", f"/v1/entities/{putin}/timeline"]
    with TestClient(create_app(Settings(database_url=url, read_cache_size=0))) as client:
        before = [client.get(path).content for path in paths]
        with Session(engine) as session:
            session.execute(update(EventItem).values(body=b'{"from":"the row"}'))
            session.commit()
        for path in paths:
            assert b'{"from":"the row"}' in client.get(path).content, path
        with Session(engine) as session:
            session.execute(update(EventItem).values(format="0.0.0-old"))
            session.commit()
        assert [client.get(path).content for path in paths] == before

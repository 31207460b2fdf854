"""Deferred answers (bulk ingest, the queue's workers): an ingest leaves the answers that have
no stored row to a ``Deferred``, rebuilds the stored ones it changes, and ``store_deferred``
stores the rest later, taking the locks a write would take, without waiting for them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.db.models import ArticleAnswer, Entity, EventEvidence
from app.kb import answers, entity_answers, event_items
from app.kb.ingest import IngestResult, ingest_article
from app.kb.sql.dialect import lock_names
from tests.answers_truth import assert_answers_current
from tests.databases import backend, migrated_engine
from tests.factories import meeting_article

LATER = "Vladimir Putin met Alexander Lukashenko in Russia on Thursday, officials said."
postgresql_only = pytest.mark.skipif(
    backend() != "postgresql", reason="advisory locks: SQLite serialises writers instead"
)


def _stored_articles(session: Session) -> set[int]:
    session.expire_all()
    return set(session.scalars(select(ArticleAnswer.article_id)))


def _stale(session: Session) -> tuple[list[int], list[int], list[int]]:
    return (
        answers.stale_ids(session),
        entity_answers.stale_ids(session),
        event_items.stale_ids(session),
    )


def test_a_deferred_ingest_leaves_its_new_answers_until_they_are_stored(
    session: Session,
) -> None:
    deferred = answers.Deferred()
    answers.defer_new(session, deferred)
    article_id = ingest_article(session, meeting_article()).article.id
    articles, entities, events = _stale(session)
    assert articles == [article_id]
    assert entities and events  # new entities and a new event: none of them stored either
    assert len(deferred) == len(articles) + len(entities) + len(events)
    # Meanwhile reads build it: the same answer as one stored.
    assert answers.article_answer(session, article_id) == answers.build(session, article_id)

    stored = answers.store_deferred(session, deferred)
    assert stored == len(articles) + len(entities) + len(events)
    assert not deferred
    assert_answers_current(session)


def test_a_deferred_ingest_still_rebuilds_the_stored_answers_it_changes(
    session: Session,
) -> None:
    first = ingest_article(session, meeting_article()).article.id  # stored in its transaction
    answers.defer_new(session, deferred := answers.Deferred())
    second = ingest_article(session, meeting_article(LATER)).article.id
    assert _stored_articles(session) == {first}
    row = session.get(ArticleAnswer, first)
    assert row is not None
    assert bytes(row.body) == answers.build(session, first).body  # shows the second's evidence
    assert f'"article_id":{second}'.encode() in bytes(row.body)
    answers.store_deferred(session, deferred)
    assert _stored_articles(session) == {first, second}
    assert_answers_current(session)


def test_a_rolled_back_ingest_defers_nothing(session: Session) -> None:
    answers.defer_new(session, deferred := answers.Deferred())

    def fail(session: Session, result: IngestResult) -> None:
        raise RuntimeError("the job could not be marked done")

    with pytest.raises(RuntimeError):
        ingest_article(session, meeting_article(), then=fail)
    assert not deferred


@pytest.fixture
def committed(tmp_path: Path) -> Iterator[Engine]:
    """A database of its own: the transactions commit for real."""
    with migrated_engine(tmp_path, "deferred") as engine:
        yield engine


def _store_beside(engine: Engine, writer: Session, deferred: answers.Deferred) -> list[int]:
    """``store_deferred`` in a thread while ``writer`` holds its locks; returns [how many it
    stored], or [] when it was still waiting after 30 s (the writer then rolls back, which
    lets it go on, so the test ends)."""
    stored: list[int] = []

    def store() -> None:
        with Session(engine) as session:
            stored.append(answers.store_deferred(session, deferred))

    thread = threading.Thread(target=store)
    thread.start()
    thread.join(timeout=30)
    done = list(stored)
    writer.rollback()
    writer.close()
    thread.join(timeout=30)
    return done


@postgresql_only
def test_an_answer_a_write_holds_is_left_for_later_without_waiting(committed: Engine) -> None:
    with Session(committed) as session:
        answers.defer_new(session, deferred := answers.Deferred())
        article_id = ingest_article(session, meeting_article()).article.id
        event_id = session.scalars(
            select(EventEvidence.event_id).where(EventEvidence.article_id == article_id)
        ).one()
    total = len(deferred)
    writer = Session(committed)
    lock_names(writer, [f"answers:event:{event_id}"])  # as a write changing the event holds it
    stored = _store_beside(committed, writer, deferred)
    assert stored, "store_deferred waited for a write's lock"
    # The article's answer and the event's item show the event: both left; the rest stored.
    assert stored == [total - 2]
    with Session(committed) as session:
        assert answers.stale_ids(session) == [article_id]
        assert event_items.stale_ids(session) == [event_id]
        assert answers.store_deferred(session, deferred) == 2
        assert_answers_current(session)


@postgresql_only
def test_an_answer_showing_what_it_did_not_lock_is_not_stored(
    committed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What an answer shows is learnt from a first build; when the answer stored shows more
    (a write committed in between), it is built again later, not stored unguarded."""
    with Session(committed) as session:
        answers.defer_new(session, deferred := answers.Deferred())
        article_id = ingest_article(session, meeting_article()).article.id
    total = len(deferred)
    monkeypatch.setattr(
        answers, "_shown_now", lambda session, kind, ids: {id_: set() for id_ in ids}
    )
    with Session(committed) as session:
        stored = answers.store_deferred(session, deferred)
        # The article's answer shows its event and people: none kept, all left for later.
        assert answers.stale_ids(session) == [article_id]
        assert event_items.stale_ids(session)
        assert len(deferred) == total - stored > 0
    monkeypatch.undo()
    with Session(committed) as session:
        assert answers.store_deferred(session, deferred) == total - stored
        assert_answers_current(session)


@postgresql_only
def test_an_answer_whose_row_a_write_holds_is_left_for_later(committed: Engine) -> None:
    """A curation holds its entity ``FOR UPDATE`` before that entity's answer lock: the
    deferred store neither waits for it (a deadlock, once the curation asks for the lock) nor
    stores the answer under it."""
    with Session(committed) as session:
        answers.defer_new(session, deferred := answers.Deferred())
        ingest_article(session, meeting_article())
        entity_id = entity_answers.stale_ids(session)[0]
    writer = Session(committed)
    writer.execute(select(Entity.id).where(Entity.id == entity_id).with_for_update())
    assert _store_beside(committed, writer, deferred), "store_deferred waited for the row"
    assert len(deferred) >= 1
    with Session(committed) as session:
        assert entity_id in entity_answers.stale_ids(session)
        answers.store_deferred(session, deferred)
        assert_answers_current(session)

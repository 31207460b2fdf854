"""When a worker stores the answers its ingests deferred: idle, or busy with too many of them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import make_sessionmaker
from app.kb import answers
from app.kb.ingest import ingest_article
from app.queue import worker
from app.queue.batcher import Batcher
from tests.answers_truth import assert_answers_current
from tests.databases import migrated_engine
from tests.factories import meeting_article


class _Batcher(Batcher):
    """Only ``idle`` is asked: no thread, no batches."""

    def __init__(self, idle: bool) -> None:
        self._idle = idle

    def idle(self) -> bool:
        return self._idle


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with migrated_engine(tmp_path, "worker_answers") as engine:
        yield make_sessionmaker(engine)


@pytest.fixture
def deferred(sessions: sessionmaker[Session]) -> answers.Deferred:
    """Eight meetings on eight days ingested as a worker ingests them: their new answers
    (eight articles', eight events', three people's and places') deferred."""
    left = answers.Deferred()
    with sessions() as session:
        answers.defer_new(session, left)
        for day in range(1, 9):
            body = f"Vladimir Putin met Alexander Lukashenko in Russia on Thursday, round {day}."
            ingest_article(session, meeting_article(body, day=date(2021, 9, day)))
    assert len(left) >= 16
    return left


def test_an_idle_worker_stores_every_deferred_answer(
    sessions: sessionmaker[Session], deferred: answers.Deferred
) -> None:
    worker.store_answers_when_due(sessions, deferred, _Batcher(idle=True), threading.Event())
    assert not deferred
    with sessions() as session:
        assert_answers_current(session)


def test_a_busy_worker_leaves_them_until_it_holds_too_many(
    sessions: sessionmaker[Session], deferred: answers.Deferred, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = len(deferred)
    worker.store_answers_when_due(sessions, deferred, _Batcher(idle=False), threading.Event())
    assert len(deferred) == count
    monkeypatch.setattr(answers, "DEFERRED_LIMIT", count)
    monkeypatch.setattr(answers, "DEFERRED_BATCH", 1)  # a round stores one of each kind
    worker.store_answers_when_due(sessions, deferred, _Batcher(idle=False), threading.Event())
    assert 0 < len(deferred) < count // 2  # down to half, not all


def test_a_stopping_worker_leaves_them_to_its_last_call(
    sessions: sessionmaker[Session], deferred: answers.Deferred
) -> None:
    stopping = threading.Event()
    stopping.set()
    count = len(deferred)
    worker.store_answers_when_due(sessions, deferred, _Batcher(idle=True), stopping)
    assert len(deferred) == count
    worker.store_answers(sessions, deferred)  # as the worker's ``finally`` calls it
    assert not deferred

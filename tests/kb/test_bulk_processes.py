"""The worker-pool path (``n_process=2``) stores exactly what the in-process path stores."""

import os
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import (
    Amount,
    Article,
    Entity,
    Event,
    EventEvidence,
    EventParticipant,
    Mention,
    Quote,
    Role,
    Timex,
)
from app.kb import bulk
from app.kb.bulk import BulkReport, Document, ingest_documents
from app.settings import Settings
from tests.databases import rolled_back_session

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "wikinews"


def documents() -> list[Document]:
    paths = sorted(FIXTURES.glob("*.txt"))
    docs = [Document(path.name, text=path.read_text(encoding="utf-8")) for path in paths]
    return [*docs, Document("copy.txt", text=docs[0].text)]


def ingest(
    engine: Engine, settings: Settings, n_process: int
) -> tuple[BulkReport, list[tuple[str, str]], dict[str, Any]]:
    seen: list[tuple[str, str]] = []
    with rolled_back_session(engine) as session:
        sessions = sessionmaker(
            bind=session.connection(),
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
        )
        report = ingest_documents(
            sessions,
            documents(),
            model_names=settings.spacy_model,
            batch_size=2,  # several worker tasks, so results can come back out of order
            n_process=n_process,
            on_done=lambda name, outcome: seen.append((name, outcome)),
        )
        return report, seen, stored_facts(session)


def stored_facts(session: Session) -> dict[str, Any]:
    """Every stored fact, keyed by article file and entity names rather than generated ids."""
    name = {e.id: (e.type, e.name) for e in session.scalars(select(Entity))}
    article = {a.id: a.raw_text[:60] for a in session.scalars(select(Article))}
    event = {e.id: (e.type, e.summary, e.date_start) for e in session.scalars(select(Event))}

    def rows(*columns: Any) -> list[tuple[Any, ...]]:
        return sorted(tuple(row) for row in session.execute(select(*columns)))

    return {
        "articles": sorted(
            (a.raw_text[:60], a.content_hash, a.title, a.word_count)
            for a in session.scalars(select(Article))
        ),
        "entities": sorted(
            (e.type, e.name, e.resolution_key) for e in session.scalars(select(Entity))
        ),
        "mentions": sorted(
            (article[m.article_id], name[m.entity_id], m.text, m.start, m.end, m.zone, m.sentence)
            for m in session.scalars(select(Mention))
        ),
        "roles": sorted(
            (article[r.article_id], name[r.person_id], r.title, r.of_id and name[r.of_id], r.start)
            for r in session.scalars(select(Role))
        ),
        "timexes": rows(Timex.text, Timex.value, Timex.start, Timex.end, Timex.zone),
        "amounts": sorted(
            (article[a.article_id], a.text, a.value, a.unit, a.event_id and event[a.event_id])
            for a in session.scalars(select(Amount))
        ),
        "quotes": sorted(
            (article[q.article_id], q.text, q.speaker_id and name[q.speaker_id], q.start)
            for q in session.scalars(select(Quote))
        ),
        "events": sorted(
            (event[p.event_id], name[p.entity_id], p.role)
            for p in session.scalars(select(EventParticipant))
        ),
        "evidence": sorted(
            (event[e.event_id], article[e.article_id], e.start, e.end)
            for e in session.scalars(select(EventEvidence))
        ),
    }


def test_two_processes_store_the_same_facts_as_one(engine: Engine, settings: Settings) -> None:
    one_report, one_seen, one = ingest(engine, settings, n_process=1)
    two_report, two_seen, two = ingest(engine, settings, n_process=2)
    assert len(one["articles"]) == 5 and one["mentions"] and one["events"]
    for kind in one:
        assert two[kind] == one[kind], kind
    assert sorted(n for n, _ in two_report.created) == sorted(n for n, _ in one_report.created)
    assert [n for n, _ in two_report.duplicates] == ["copy.txt"]
    assert sorted(two_seen) == sorted(one_seen)
    assert len(two_seen) == 6


def die(*args: object, **kwargs: object) -> None:
    os._exit(1)  # as a worker killed by the OOM killer would


def test_a_dead_worker_stops_the_load_instead_of_hanging(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "extract_many", die)  # forked workers inherit the patch
    sessions = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    with pytest.raises(BrokenProcessPool):
        ingest_documents(sessions, documents(), model_names=settings.spacy_model, n_process=2)

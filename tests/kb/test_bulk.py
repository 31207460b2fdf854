from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import Article
from app.extract import pipeline
from app.kb.bulk import Document, ingest_documents
from app.settings import Settings
from tests.entity_truth import assert_entity_stats_exact, stored_stats

STORM = "Storm hits coast\n\nA storm hit Portugal on Monday and cut power in Lisbon."
VOTE = "Council votes\n\nThe city council of Oslo voted on Tuesday to raise the budget."


def test_bulk_ingest_reports_created_duplicates_and_failures(
    session: Session, settings: Settings
) -> None:
    sessions = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    documents = [
        Document("storm.txt", text=STORM),
        Document("vote.txt", text=VOTE),
        Document("storm-copy.txt", text=STORM),
        Document("empty.html", html="<html><body><script>x()</script></body></html>"),
    ]
    seen: list[tuple[str, str]] = []
    report = ingest_documents(
        sessions,
        documents,
        model_names=settings.spacy_model,
        batch_size=2,
        on_done=lambda name, outcome: seen.append((name, outcome)),
    )
    assert [name for name, _ in report.created] == ["storm.txt", "vote.txt"]
    assert [name for name, _ in report.duplicates] == ["storm-copy.txt"]
    assert report.duplicates[0][1] == report.created[0][1]
    assert [name for name, _ in report.failed] == ["empty.html"]
    assert sorted(seen) == sorted(
        [
            ("storm.txt", "created"),
            ("vote.txt", "created"),
            ("storm-copy.txt", "duplicate"),
            ("empty.html", "failed"),
        ]
    )
    assert session.scalar(select(func.count()).select_from(Article)) == 2


def test_bulk_ingest_again_creates_nothing(session: Session, settings: Settings) -> None:
    sessions = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    documents = [Document("storm.txt", text=STORM), Document("vote.txt", text=VOTE)]
    ingest_documents(sessions, documents, model_names=settings.spacy_model)
    again = ingest_documents(sessions, documents, model_names=settings.spacy_model)
    assert again.created == [] and len(again.duplicates) == 2
    assert session.scalar(select(func.count()).select_from(Article)) == 2


def test_engine_fixture_is_migrated(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM articles").scalar() is not None


def test_bulk_ingest_keeps_entity_stats_exact(session: Session, settings: Settings) -> None:
    sessions = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    portugal = "Storm moves on\n\nThe storm left Portugal on Tuesday and reached Spain."
    documents = [Document("storm.txt", text=STORM), Document("vote.txt", text=VOTE)]
    documents.append(Document("storm-2.txt", text=portugal))
    report = ingest_documents(sessions, documents, model_names=settings.spacy_model)
    assert len(report.created) == 3
    assert_entity_stats_exact(session)
    stored = stored_stats(session)
    assert max(stored.values())[:2] >= (2, 2)  # Portugal, in two articles


def test_progress_is_reported_per_article_in_order_as_each_is_extracted(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each article is reported before the next one's extraction ends, not a batch at a time."""
    sessions = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    texts = {
        "storm.txt": STORM,
        "vote.txt": VOTE,
        "fire.txt": "Fire in the hills\n\nA fire near Athens forced 300 people out on Sunday.",
        "port.txt": "Port reopens\n\nThe port of Rotterdam reopened on Friday after a strike.",
    }
    events: list[str] = []
    real = pipeline._extract_one

    def extract_one(parsed: Any, docs: Any) -> Any:
        events.append("extracted")
        return real(parsed, docs)

    monkeypatch.setattr(pipeline, "_extract_one", extract_one)
    seen: list[str] = []

    def done(name: str, outcome: str) -> None:
        assert outcome == "created"
        seen.append(name)
        events.append("done")

    documents = [Document(name, text=text) for name, text in texts.items()]
    ingest_documents(sessions, documents, model_names=settings.spacy_model, on_done=done)
    assert seen == list(texts)  # once each, in input order
    assert events == ["extracted", "done"] * len(texts)

"""Bulk loads and re-extraction: an extractor that fails drops facts, never the article."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app import metrics
from app.db.models import Amount, Article
from app.extract import pipeline
from app.kb.bulk import Document, ingest_documents
from app.kb.ingest import reextract_article
from app.settings import Settings

TABLE = (
    "Hog receipts\n\n"
    "Hog receipts at the terminal markets rose on Tuesday to 48,000 head, traders said.\n\n"
    "Hogs Today 48,000 Week ago 45,000 Year ago 346,000\n"
    "Cattle Today 12,000 Week ago 11,000 346,000 year ago"
)


def failed(extractor: str) -> float:
    return metrics.EXTRACTOR_FAILURES.labels(extractor=extractor)._value.get()  # type: ignore[no-any-return]


def broken_entities(*args: object, **kwargs: object) -> None:
    raise RuntimeError("entities broke")


def test_bulk_load_stores_an_article_whose_extractor_fails(
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sessions = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    monkeypatch.setattr(pipeline, "extract_entities", broken_entities)
    before = failed("entities")
    with caplog.at_level(logging.WARNING, logger="newskb.ingest"):
        report = ingest_documents(
            sessions, [Document("hogs.txt", text=TABLE)], model_names=settings.spacy_model
        )
    assert [name for name, _ in report.created] == ["hogs.txt"] and report.failed == []
    article_id = report.created[0][1]
    stored = session.scalar(select(func.count()).where(Amount.article_id == article_id))
    assert stored  # the amounts are kept when entities fail
    assert failed("entities") == before + 1
    (record,) = [r for r in caplog.records if getattr(r, "extractor", None) == "entities"]
    assert record.error == "RuntimeError: entities broke"  # type: ignore[attr-defined]
    assert record.title == "Hog receipts"  # type: ignore[attr-defined]


def test_reextraction_logs_and_counts_failures_too(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    report = ingest_documents(
        sessions, [Document("hogs.txt", text=TABLE)], model_names=settings.spacy_model
    )
    article_id = report.created[0][1]
    monkeypatch.setattr(pipeline, "extract_entities", broken_entities)
    before = failed("entities")
    article = reextract_article(session, article_id, model_names=settings.spacy_model)
    assert article.id == article_id and session.get(Article, article_id) is not None
    assert failed("entities") == before + 1

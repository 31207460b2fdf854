"""The ingest door: a typed document in, its article stored or its duplicate named."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Article, Source
from app.errors import EmptyArticle
from app.kb.intake import Document, IngestResult, ingest_document
from app.settings import Settings

STORY = (
    "Storm hits coast\n\nA powerful storm hit the coast of Portugal on Monday, cutting power "
    "to thousands of homes in Lisbon."
)
PAGE = (
    "<html><head><title>Bridge reopens</title></head><body><article><h1>Bridge reopens</h1>"
    "<p>The main bridge of Riga reopened on Friday after two years of repairs.</p>"
    "</article></body></html>"
)
MODEL = Settings().spacy_model


def articles(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Article)) or 0


def test_a_new_document_is_stored_with_its_raw_text(session: Session) -> None:
    result = ingest_document(session, Document(html=PAGE), model_names=MODEL)
    assert result.created
    assert result.article.raw_text == PAGE
    assert result.article.body.startswith("The main bridge of Riga")


def test_the_senders_metadata_wins_over_the_parsers(session: Session) -> None:
    document = Document(
        text=STORY,
        url="https://example.org/storm",
        title="Portugal storm",
        published_at=datetime(2021, 9, 13, tzinfo=UTC),
        source="Wire",
        section="Weather",
    )
    article = ingest_document(session, document, model_names=MODEL).article
    assert (article.url, article.title, article.section) == (
        "https://example.org/storm",
        "Portugal storm",
        "Weather",
    )
    assert article.published_at == datetime(2021, 9, 13, tzinfo=UTC)
    assert session.scalars(select(Source.name)).all() == ["Wire"]


def test_a_repeated_document_names_the_stored_article(session: Session) -> None:
    first = ingest_document(session, Document(text=STORY), model_names=MODEL)
    again = ingest_document(session, Document(text=STORY + "\n"), model_names=MODEL)
    assert not again.created and again.article.id == first.article.id
    assert articles(session) == 1


def test_a_document_with_no_text_is_refused(session: Session) -> None:
    with pytest.raises(EmptyArticle):
        ingest_document(session, Document(html="<html><body></body></html>"), model_names=MODEL)
    assert articles(session) == 0


def test_then_runs_in_the_transaction_that_stores_the_article(session: Session) -> None:
    def fail(session: Session, result: IngestResult) -> None:
        raise RuntimeError("the caller's own write failed")

    with pytest.raises(RuntimeError):
        ingest_document(session, Document(text=STORY), model_names=MODEL, then=fail)
    assert articles(session) == 0  # rolled back together


def test_then_is_told_of_a_duplicate_too(session: Session) -> None:
    ingest_document(session, Document(text=STORY), model_names=MODEL)
    seen: list[IngestResult] = []
    ingest_document(
        session, Document(text=STORY), model_names=MODEL, then=lambda _, r: seen.append(r)
    )
    assert [r.created for r in seen] == [False]

"""collect_stats against a real corpus: the counts must match what extraction produced."""

from collections import Counter
from itertools import islice

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.corpora import iter_wikinews
from app.db.models import Entity, Event
from app.extract import types as x
from app.extract.document import parse_document
from app.kb import curate, ingest
from app.kb.stats import collect_stats
from app.settings import Settings
from tests.corpus import FIXTURE_CORPUS
from tests.factories import meeting_article

ARTICLES = 8


@pytest.fixture(scope="module")
def extracted() -> list[x.ExtractedArticle]:
    """Eight Wikinews articles through the real pipeline (no database involved)."""
    docs = islice(iter_wikinews(FIXTURE_CORPUS), ARTICLES)
    parsed = [
        parse_document(text=d.text, published_at=d.published_at, source_name="Wikinews")
        for d in docs
    ]
    return ingest.extract_many(parsed, model_names=Settings().spacy_model)


def test_empty_database_has_zero_counts_and_no_dates(session: Session) -> None:
    stats = collect_stats(session)
    assert stats.articles == stats.entities == stats.mentions == stats.events == 0
    assert stats.entities_by_type == stats.events_by_type == stats.extractor_versions == {}
    assert stats.newest_published_at is None
    assert stats.oldest_ingested_at is None


def test_counts_match_the_ingested_corpus(
    session: Session, extracted: list[x.ExtractedArticle]
) -> None:
    for article in extracted:
        assert ingest.ingest_article(session, article).created
    stats = collect_stats(session)

    assert stats.articles == ARTICLES
    assert stats.sources == 1
    assert stats.mentions == sum(len(e.mentions) for a in extracted for e in a.entities)
    assert stats.quotes == sum(len(a.quotes) for a in extracted)
    assert stats.amounts == sum(len(a.amounts) for a in extracted)
    assert stats.timexes == sum(len(a.timexes) for a in extracted)
    assert stats.mentions > 0 and stats.timexes > 0
    entity_types = Counter(session.scalars(select(Entity.type)))
    assert stats.entities_by_type == dict(entity_types)
    assert stats.entities == entity_types.total() > 0
    assert stats.events_by_type == dict(Counter(session.scalars(select(Event.type))))
    assert stats.events == sum(stats.events_by_type.values())
    dates = [a.parsed.published_at for a in extracted if a.parsed.published_at]
    assert stats.newest_published_at == max(dates)
    assert stats.oldest_published_at == min(dates)
    assert stats.extractor_versions == {extracted[0].extractor_version: ARTICLES}


def test_types_are_listed_largest_first(
    session: Session, extracted: list[x.ExtractedArticle]
) -> None:
    for article in extracted:
        ingest.ingest_article(session, article)
    counts = list(collect_stats(session).entities_by_type.values())
    assert counts == sorted(counts, reverse=True)


def test_ingested_range_spans_the_ingests(session: Session) -> None:
    first = ingest.ingest_article(session, meeting_article()).article
    second = ingest.ingest_article(
        session, meeting_article("Vladimir Putin met Alexander Lukashenko in Russia. Thursday.")
    ).article
    stats = collect_stats(session)
    assert stats.oldest_ingested_at == first.created_at
    assert stats.newest_ingested_at == second.created_at
    assert stats.oldest_ingested_at is not None and stats.newest_ingested_at is not None
    assert stats.oldest_ingested_at <= stats.newest_ingested_at


def test_merged_entities_are_counted_apart(session: Session) -> None:
    ingest.ingest_article(session, meeting_article())
    people = session.scalars(select(Entity.id).where(Entity.type == "person")).all()
    curate.merge_entities(session, people[0], people[1])
    stats = collect_stats(session)
    assert stats.entities_by_type == {"person": 1, "country": 1}
    assert stats.entities == 2
    assert stats.merged_entities == 1


def test_deleting_an_article_lowers_the_counts(session: Session) -> None:
    kept = ingest.ingest_article(session, meeting_article()).article
    gone = ingest.ingest_article(
        session, meeting_article("Vladimir Putin met Alexander Lukashenko in Russia. Thursday.")
    ).article
    before = collect_stats(session)
    ingest.delete_article(session, gone.id)
    after = collect_stats(session)
    assert (before.articles, after.articles) == (2, 1)
    assert after.mentions == before.mentions - 3
    assert after.timexes == before.timexes - 1
    assert after.oldest_ingested_at == after.newest_ingested_at == kept.created_at


def test_stats_take_five_statements(session: Session) -> None:
    ingest.ingest_article(session, meeting_article())
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", record)
    try:
        collect_stats(session)
    finally:
        event.remove(connection, "before_cursor_execute", record)
    assert len(statements) == 5  # the fifth: articles by language

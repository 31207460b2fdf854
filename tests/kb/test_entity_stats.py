"""Stored entity statistics equal a recount from mentions after every write that moves them."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Entity, EntityArticle
from app.extract import types as x
from app.extract.pipeline import EXTRACTOR_VERSION, content_hash
from app.kb import curate as kb_curate
from app.kb import ingest as kb_ingest
from tests.entity_truth import Counts, assert_entity_stats_exact, stored_links, stored_stats
from tests.factories import entity, meeting_article

DAY1 = datetime(2021, 9, 1, 8, 30, tzinfo=UTC)
DAY2 = datetime(2021, 9, 5, 23, 30, tzinfo=UTC)
COUNTRIES = {"Russia", "Belarus", "Poland"}


def story(
    body: str, *names: str | tuple[str, ...], published: datetime | None = DAY1
) -> x.ExtractedArticle:
    """An article naming each of ``names`` (a tuple: a name and more surface forms)."""
    parsed = x.ParsedArticle(body=body, title="Story", published_at=published, source_name="Wire")
    entities = []
    for i, name in enumerate(names):
        forms = name if isinstance(name, tuple) else (name,)
        kind: x.EntityType = "country" if forms[0] in COUNTRIES else "person"
        entities.append(entity(body, f"e{i}", kind, *forms[:1], *forms))
    return x.ExtractedArticle(
        parsed=parsed,
        content_hash=content_hash(parsed),
        extractor_version=EXTRACTOR_VERSION,
        entities=tuple(entities),
    )


def stats_of(session: Session, name: str) -> Counts:
    entity_id = session.scalars(select(Entity.id).where(Entity.name == name)).one()
    return stored_stats(session)[entity_id]


def test_ingest_adds_each_article_to_its_entities(session: Session) -> None:
    kb_ingest.ingest_article(
        session,
        story(
            "Vladimir Putin met Alexander Lukashenko in Russia.",
            "Vladimir Putin",
            "Alexander Lukashenko",
            "Russia",
        ),
    )
    kb_ingest.ingest_article(
        session,
        story(
            "Vladimir Putin spoke. Putin left Russia.",
            ("Vladimir Putin", "Putin"),
            "Russia",
            published=DAY2,
        ),
    )
    assert_entity_stats_exact(session)
    assert stats_of(session, "Vladimir Putin") == (3, 2, DAY2)
    assert stats_of(session, "Alexander Lukashenko") == (1, 1, DAY1)


def test_an_undated_article_counts_from_its_ingest_time(session: Session) -> None:
    stored = kb_ingest.ingest_article(
        session, story("Vladimir Putin spoke.", "Vladimir Putin", published=None)
    ).article
    assert_entity_stats_exact(session)
    assert stats_of(session, "Vladimir Putin")[2] == stored.created_at
    link = session.scalars(select(EntityArticle).where(EntityArticle.article_id == stored.id)).one()
    assert link.published_on is None  # off the timeline


def test_ingesting_the_same_article_again_changes_no_count(session: Session) -> None:
    kb_ingest.ingest_article(session, meeting_article())
    before = stored_stats(session)
    assert not kb_ingest.ingest_article(session, meeting_article()).created
    assert stored_stats(session) == before


def test_delete_recounts_the_entities_of_the_article(session: Session) -> None:
    first = kb_ingest.ingest_article(session, story("Vladimir Putin spoke.", "Vladimir Putin"))
    second = kb_ingest.ingest_article(
        session, story("Vladimir Putin spoke again.", "Vladimir Putin", published=DAY2)
    )
    kb_ingest.delete_article(session, second.article.id)
    assert_entity_stats_exact(session)
    assert stats_of(session, "Vladimir Putin") == (1, 1, DAY1)
    kb_ingest.delete_article(session, first.article.id)
    assert_entity_stats_exact(session)
    assert stats_of(session, "Vladimir Putin") == (0, 0, None)


def test_reextraction_recounts_old_and_new_entities(session: Session) -> None:
    article = kb_ingest.ingest_article(session, meeting_article()).article
    body = article.body
    newer = story(body, "Vladimir Putin", ("Russia", "Russia"), published=article.published_at)
    kb_ingest.replace_facts(session, article.id, newer)
    assert_entity_stats_exact(session)
    assert stats_of(session, "Alexander Lukashenko") == (0, 0, None)
    assert stats_of(session, "Vladimir Putin")[:2] == (1, 1)


def test_merge_moves_counts_and_adds_up_shared_articles(session: Session) -> None:
    both = kb_ingest.ingest_article(
        session,
        story("Vladimir Putin met Alexander Lukashenko.", "Vladimir Putin", "Alexander Lukashenko"),
    ).article
    kb_ingest.ingest_article(
        session, story("Alexander Lukashenko spoke.", "Alexander Lukashenko", published=DAY2)
    )
    putin = session.scalars(select(Entity.id).where(Entity.name == "Vladimir Putin")).one()
    lukashenko = session.scalars(
        select(Entity.id).where(Entity.name == "Alexander Lukashenko")
    ).one()
    kb_curate.merge_entities(session, lukashenko, putin)
    assert_entity_stats_exact(session)
    assert stored_stats(session)[putin] == (3, 2, DAY2)
    assert stored_stats(session)[lukashenko] == (0, 0, None)
    shared = session.get(EntityArticle, (putin, both.id))
    assert shared is not None and shared.mention_count == 2


def test_a_failed_ingest_leaves_no_counts(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb_ingest.ingest_article(session, meeting_article())
    before = stored_stats(session), stored_links(session)

    def fail(*_: object) -> None:  # after the article's entity rows are written
        raise RuntimeError("boom")

    monkeypatch.setattr(kb_ingest, "_store_events", fail)
    with pytest.raises(RuntimeError):
        kb_ingest.ingest_article(session, story("Vladimir Putin spoke.", "Vladimir Putin"))
    assert (stored_stats(session), stored_links(session)) == before

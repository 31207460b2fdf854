"""Stored article answers stay the answers built now, after every kind of write.

After each write, every article's stored row is compared with the answer built from its
facts at that moment: bytes, ETag, what it shows (the read cache's tags) and the rows a later
write looks it up by. Each test also checks that the write did change another article's
answer, so the comparison is not of answers no write touched.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.db.models import ArticleAnswer, Entity, EntityArticle
from app.extract import types as x
from app.extract.pipeline import EXTRACTOR_VERSION, content_hash
from app.kb import answers, consistency, curate, versions
from app.kb.curate import EntityEdit
from app.kb.ingest import delete_article, ingest_article, replace_facts
from app.kb.sql.transaction import committing
from benchmarks.duplicates import byline, cut_end, fixture_bodies, new_lead
from tests.answers_truth import assert_answers_current
from tests.factories import entity, meeting_article

LATER = "Vladimir Putin met Alexander Lukashenko in Russia on Thursday, officials said."


def _shown_articles(body: bytes) -> set[int]:
    """The articles whose evidence the answer's events show."""
    events = json.loads(body)["events"]
    return {item["article_id"] for event in events for item in event["evidence"]}


@pytest.fixture
def two(session: Session) -> tuple[int, int]:
    """Two articles reporting the same meeting: each answer shows the other's evidence."""
    first = ingest_article(session, meeting_article()).article.id
    second = ingest_article(session, meeting_article(LATER)).article.id
    return first, second


def test_an_ingest_stores_its_answer_and_rebuilds_those_reporting_its_events(
    session: Session,
) -> None:
    first = ingest_article(session, meeting_article()).article.id
    alone = assert_answers_current(session)[first]
    second = ingest_article(session, meeting_article(LATER)).article.id
    stored = assert_answers_current(session)
    assert _shown_articles(alone) == {first}
    assert _shown_articles(stored[first]) == _shown_articles(stored[second]) == {first, second}


def test_an_ingest_leaves_answers_that_show_nothing_it_touched(
    session: Session, two: tuple[int, int]
) -> None:
    etags = {row.article_id: row.etag for row in session.scalars(select(ArticleAnswer))}
    _store(session, "Markets were calm on Friday.", "https://x.example/3", "Calm")
    session.expire_all()
    after = {row.article_id: row.etag for row in session.scalars(select(ArticleAnswer))}
    assert {id_: after[id_] for id_ in two} == {id_: etags[id_] for id_ in two}


def test_a_reextraction_rebuilds_the_answers_of_the_events_it_left(
    session: Session, two: tuple[int, int]
) -> None:
    first, second = two
    replace_facts(session, second, replace(meeting_article(LATER), events=()))
    stored = assert_answers_current(session)
    assert _shown_articles(stored[first]) == {first}
    assert json.loads(stored[second])["events"] == []


def test_a_deletion_rebuilds_the_answers_that_showed_the_article(
    session: Session, two: tuple[int, int]
) -> None:
    first, second = two
    delete_article(session, second)
    stored = assert_answers_current(session)
    assert second not in stored
    assert _shown_articles(stored[first]) == {first}


def test_a_rename_rebuilds_every_answer_naming_the_entity(
    session: Session, two: tuple[int, int]
) -> None:
    putin = session.scalars(select(Entity.id).where(Entity.name == "Vladimir Putin")).one()
    curate.update_entity(session, putin, EntityEdit(name="V. V. Putin"))
    stored = assert_answers_current(session)
    for article_id in two:
        names = {entity["name"] for entity in json.loads(stored[article_id])["entities"]}
        assert "V. V. Putin" in names and "Vladimir Putin" not in names


def test_an_alias_edit_rebuilds_nothing(session: Session, two: tuple[int, int]) -> None:
    etags = dict(session.execute(select(ArticleAnswer.article_id, ArticleAnswer.etag)).all())
    putin = session.scalars(select(Entity.id).where(Entity.name == "Vladimir Putin")).one()
    # A transaction that rolls back drops its pending work: this mark never rebuilds.
    with pytest.raises(AssertionError), committing(session):
        answers.mark_entities(session, [putin])
        raise AssertionError
    curate.update_entity(session, putin, EntityEdit(add_aliases=["Mr Putin"]))
    assert_answers_current(session)
    assert dict(session.execute(select(ArticleAnswer.article_id, ArticleAnswer.etag)).all()) == (
        etags
    )


def test_a_merge_rebuilds_the_answers_naming_the_merged_entity(
    session: Session, two: tuple[int, int]
) -> None:
    body = "V. Putin met Alexander Lukashenko in Russia on Friday."
    parsed = x.ParsedArticle(body=body, title="Talks", url="https://x.example/p", language="en")
    extracted = x.ExtractedArticle(
        parsed=parsed,
        content_hash=content_hash(parsed),
        extractor_version=EXTRACTOR_VERSION,
        entities=(entity(body, "p", "person", "V. Putin"), entity(body, "r", "country", "Russia")),
    )
    third = ingest_article(session, extracted).article.id
    ids = dict(session.execute(select(Entity.name, Entity.id)).all())
    assert ids["V. Putin"] != ids["Vladimir Putin"]
    curate.merge_entities(session, ids["V. Putin"], ids["Vladimir Putin"])
    stored = assert_answers_current(session)
    names = {entity["name"] for entity in json.loads(stored[third])["entities"]}
    assert "V. Putin" not in names and "Vladimir Putin" in names


def test_a_repair_rebuilds_the_answers_whose_counts_it_restores(
    session: Session, two: tuple[int, int]
) -> None:
    first, _ = two
    session.execute(delete(EntityArticle).where(EntityArticle.article_id == first))
    session.commit()
    consistency.repair(session)
    stored = assert_answers_current(session)
    assert len(json.loads(stored[first])["entities"]) == 3


def test_a_new_version_rebuilds_the_answer(session: Session, two: tuple[int, int]) -> None:
    first, second = two
    newer = meeting_article("Vladimir Putin met Alexander Lukashenko in Russia on Thursday night.")
    versions.store_version(session, first, newer)
    stored = assert_answers_current(session)
    assert json.loads(stored[first])["version"] == 2
    assert _shown_articles(stored[second]) == {first, second}


def _store(session: Session, body: str, url: str, title: str) -> int:
    parsed = x.ParsedArticle(body=body, title=title, url=url, source_name="Test Wire")
    extracted = x.ExtractedArticle(
        parsed=parsed, content_hash=content_hash(parsed), extractor_version=EXTRACTOR_VERSION
    )
    return ingest_article(session, extracted).article.id


def test_deleting_a_first_copy_rebuilds_its_copies(session: Session) -> None:
    title, body = fixture_bodies()[0]
    original = _store(session, body, "https://one.example/story", title)
    rewritten = byline(title, cut_end(title, new_lead(title, body)))
    copy = _store(session, rewritten, "https://two.example/story", "Another headline")
    assert json.loads(assert_answers_current(session)[copy])["duplicate_of"] == original
    delete_article(session, original)
    assert json.loads(assert_answers_current(session)[copy])["duplicate_of"] is None


def test_answers_of_another_format_are_ignored_and_rebuilt(
    session: Session, two: tuple[int, int]
) -> None:
    first, second = two
    session.execute(
        update(ArticleAnswer)
        .where(ArticleAnswer.article_id == first)
        .values(format="0.0.0-old", body=b"{}")
    )
    session.commit()
    assert answers.article_answer(session, first).body == answers.build(session, first).body
    assert answers.stale_ids(session) == [first]
    assert sum(answers.store_all(session, answers.stale_ids(session))) == 1
    assert_answers_current(session)
    assert answers.differing(session, [first, second]) == []


def test_a_stored_answer_that_differs_is_found(session: Session, two: tuple[int, int]) -> None:
    first, second = two
    session.execute(
        update(ArticleAnswer).where(ArticleAnswer.article_id == second).values(body=b"{}")
    )
    session.commit()
    assert answers.article_answer(session, second).body == b"{}"  # reads trust the row
    assert answers.differing(session, [first, second]) == [second]


def test_published_answers_keep_their_dates(session: Session) -> None:
    """A dated article round-trips through the stored bytes unchanged (no re-serialisation)."""
    article = meeting_article(url="https://x.example/dated")
    parsed = replace(article.parsed, published_at=datetime(2021, 9, 12, 8, 30, tzinfo=UTC))
    article_id = ingest_article(session, replace(article, parsed=parsed)).article.id
    stored = assert_answers_current(session)[article_id]
    assert json.loads(stored)["published_at"].startswith("2021-09-12T08:30:00")

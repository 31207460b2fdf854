"""JSON Lines export, read back with pydantic: every article and every fact, with spans."""

import dataclasses
import json
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Amount, Article, EventEvidence, Mention, Quote, Role, Timex
from app.kb import ingest as kb_ingest
from app.kb.export import stream_export
from app.schemas.export import ArticleExport
from tests.factories import meeting_article


@pytest.fixture
def records(session: Session) -> list[ArticleExport]:
    text = "".join(stream_export(session, "jsonl"))
    assert text.endswith("\n")
    return [ArticleExport.model_validate_json(line) for line in text.splitlines()]


def _per_article(session: Session, column: object) -> Counter[int]:
    return Counter(session.scalars(select(column)))  # type: ignore[call-overload]


def test_every_article_is_one_line_in_id_order(
    session: Session, records: list[ArticleExport]
) -> None:
    ids = list(session.scalars(select(Article.id).order_by(Article.id)))
    assert len(ids) == 6
    assert [r.id for r in records] == ids


def test_every_fact_of_every_article_is_exported(
    session: Session, records: list[ArticleExport]
) -> None:
    for model, field in [
        (Mention, "mentions"),
        (Timex, "timexes"),
        (Amount, "amounts"),
        (Quote, "quotes"),
        (Role, "roles"),
    ]:
        stored = _per_article(session, model.article_id)
        exported = Counter({r.id: len(getattr(r, field)) for r in records})
        assert +exported == stored, field
    assert sum(len(r.mentions) for r in records) > 100


def test_entities_and_events_match_the_mentions_and_evidence(
    session: Session, records: list[ArticleExport]
) -> None:
    mentioned = {
        tuple(row) for row in session.execute(select(Mention.article_id, Mention.entity_id))
    }
    assert {(r.id, e.id) for r in records for e in r.entities} == mentioned
    for record in records:
        assert sum(e.mention_count for e in record.entities) == len(record.mentions)
    reported = {
        tuple(row)
        for row in session.execute(select(EventEvidence.article_id, EventEvidence.event_id))
    }
    assert reported
    assert {(r.id, e.id) for r in records for e in r.events} == reported


def test_body_spans_point_at_the_exported_text(records: list[ArticleExport]) -> None:
    checked = 0
    for record in records:
        for span in [*record.mentions, *record.timexes, *record.amounts, *record.quotes]:
            if span.zone == "body":
                assert record.body[span.start : span.end] == span.text, span
                checked += 1
    assert checked > 100


def test_lines_are_plain_json_with_metadata(session: Session) -> None:
    first = json.loads(next(iter("".join(stream_export(session, "jsonl")).splitlines())))
    seed = session.scalars(select(Article).order_by(Article.id).limit(1)).one()
    assert first["content_hash"] == seed.content_hash
    assert first["url"] == "https://p.dw.com/p/40DrA"
    assert first["source"]["name"] == "DW"
    assert first["body"] == seed.body


def test_a_role_qualifier_is_exported(session: Session) -> None:
    article = meeting_article(
        "Vladimir Putin met Alexander Lukashenko in Russia on Thursday again."
    )
    acting = dataclasses.replace(article.roles[0], qualifier="acting")
    stored = kb_ingest.ingest_article(session, dataclasses.replace(article, roles=(acting,)))
    records = [
        ArticleExport.model_validate_json(line)
        for line in "".join(stream_export(session, "jsonl")).splitlines()
    ]
    (record,) = [r for r in records if r.id == stored.article.id]
    assert [(r.qualifier, r.title) for r in record.roles] == [("acting", "President")]

"""Stored entity answers: the bytes around an entity's counts, rebuilt only by the writes that
change them, with the counts of the moment written in on every read.

``assert_entity_answers_current`` compares every stored answer, counts written in, with the
answer built now; each test also checks what the write did or did not rebuild.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.models import Entity, EntityAnswer, EntityStats
from app.extract import types as x
from app.extract.pipeline import EXTRACTOR_VERSION, content_hash
from app.kb import answers, curate, entity_answers
from app.kb.curate import EntityEdit
from app.kb.ingest import delete_article, ingest_article
from app.kb.sql.transaction import committing
from app.schemas.entities import EntityRead
from tests.answers_truth import assert_entity_answers_current
from tests.factories import entity, meeting_article

LATER = "Vladimir Putin met Alexander Lukashenko in Russia on Thursday, officials said."


def _ids(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Entity.name, Entity.id)).all())


def _naming(body: str, *entities: x.Entity) -> x.ExtractedArticle:
    """An article with these entities and no other fact."""
    parsed = x.ParsedArticle(body=body, title="Talks", language="en")
    return x.ExtractedArticle(
        parsed=parsed,
        content_hash=content_hash(parsed),
        extractor_version=EXTRACTOR_VERSION,
        entities=entities,
    )


def _stored_rows(session: Session) -> dict[int, tuple[bytes, bytes]]:
    session.expire_all()
    return {row.entity_id: (row.head, row.tail) for row in session.scalars(select(EntityAnswer))}


def test_an_ingest_stores_the_answers_of_the_entities_it_creates(session: Session) -> None:
    ingest_article(session, meeting_article())
    stored = assert_entity_answers_current(session)
    putin = json.loads(stored[_ids(session)["Vladimir Putin"]])
    assert (putin["mention_count"], putin["article_count"]) == (1, 1)
    assert [role["title"] for role in putin["roles"]] == ["President"]


def test_naming_an_entity_moves_its_counts_without_rebuilding_its_answer(
    session: Session,
) -> None:
    ingest_article(session, meeting_article())
    before = _stored_rows(session)
    # The same names, no role, no new alias: only the counts of the three entities change.
    ingest_article(session, replace(meeting_article(LATER), roles=()))
    assert _stored_rows(session) == before
    stored = assert_entity_answers_current(session)
    putin = json.loads(stored[_ids(session)["Vladimir Putin"]])
    assert (putin["mention_count"], putin["article_count"]) == (2, 2)
    assert putin["last_seen"] == "2021-09-12T00:00:00Z"


def test_a_role_rebuilds_the_persons_answer_only(session: Session) -> None:
    ingest_article(session, replace(meeting_article(), roles=()))
    before = _stored_rows(session)
    ingest_article(session, meeting_article(LATER))  # states Putin's role
    after = _stored_rows(session)
    ids = _ids(session)
    changed = {id_ for id_ in before if after[id_] != before[id_]}
    assert changed == {ids["Vladimir Putin"]}
    stored = assert_entity_answers_current(session)
    assert [role["title"] for role in json.loads(stored[ids["Vladimir Putin"]])["roles"]] == [
        "President"
    ]


def test_a_new_alias_rebuilds_the_entitys_answer(session: Session) -> None:
    ingest_article(session, meeting_article())
    body = "Putin met Alexander Lukashenko in Russia on Friday."
    ingest_article(session, _naming(body, entity(body, "p", "person", "Vladimir Putin", "Putin")))
    stored = assert_entity_answers_current(session)
    assert json.loads(stored[_ids(session)["Vladimir Putin"]])["aliases"] == [
        "Putin",
        "Vladimir Putin",
    ]


def test_renaming_a_country_rebuilds_the_answers_of_the_people_holding_a_role_of_it(
    session: Session,
) -> None:
    ingest_article(session, meeting_article())
    ids = _ids(session)
    curate.update_entity(session, ids["Russia"], EntityEdit(name="Russian Federation"))
    stored = assert_entity_answers_current(session)
    [role] = json.loads(stored[ids["Vladimir Putin"]])["roles"]
    assert role["of"]["name"] == "Russian Federation"


def test_a_merge_drops_the_merged_answer_and_rebuilds_the_one_it_joined(
    session: Session,
) -> None:
    ingest_article(session, meeting_article())
    body = "V. Putin met Alexander Lukashenko in Russia on Friday."
    ingest_article(session, _naming(body, entity(body, "p", "person", "V. Putin")))
    ids = _ids(session)
    curate.merge_entities(session, ids["V. Putin"], ids["Vladimir Putin"])
    stored = assert_entity_answers_current(session)
    assert ids["V. Putin"] not in stored
    putin = json.loads(stored[ids["Vladimir Putin"]])
    assert "V. Putin" in putin["aliases"] and putin["article_count"] == 2
    assert putin["curated"] is True


def test_an_entity_no_article_names_any_more_shows_no_last_seen(session: Session) -> None:
    first = ingest_article(session, meeting_article()).article.id
    delete_article(session, first)
    stored = assert_entity_answers_current(session)
    putin = json.loads(stored[_ids(session)["Vladimir Putin"]])
    assert (putin["mention_count"], putin["article_count"], putin["last_seen"]) == (0, 0, None)
    assert putin["roles"] == []


def test_counts_are_written_in_as_the_schema_serializes_them(session: Session) -> None:
    ingest_article(session, meeting_article())
    putin = _ids(session)["Vladimir Putin"]
    seen = datetime(2024, 2, 29, 13, 5, 7, 123456, tzinfo=UTC)
    session.execute(
        update(EntityStats)
        .where(EntityStats.entity_id == putin)
        .values(mention_count=1234, article_count=56, last_seen_at=seen)
    )
    session.commit()
    stored = entity_answers.stored(session, putin)
    built = entity_answers.build(session, putin)
    assert stored is not None and built is not None
    assert stored.body == built.body and stored.etag == built.etag
    read = EntityRead.model_validate_json(stored.body)
    assert (read.mention_count, read.article_count, read.last_seen) == (1234, 56, seen)


def test_split_finds_the_counts_whatever_the_names_hold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = EntityRead.model_validate(
        {
            "id": 1,
            "name": '"mention_count":0,"article_count":0,"last_seen":null',  # escaped in JSON
            "type": "person",
            "mention_count": 3,
            "created_at": datetime(2024, 1, 1, tzinfo=UTC),
            "updated_at": datetime(2024, 1, 1, tzinfo=UTC),
        }
    )
    head, tail = entity_answers.split(model)
    zeroed = model.model_copy(update={"mention_count": 0}).model_dump_json().encode()
    assert head + b'"mention_count":0,"article_count":0,"last_seen":null' + tail == zeroed
    monkeypatch.setattr(entity_answers, "_COUNTS_AT", b'"mention_count":0}')
    with pytest.raises(RuntimeError):  # the schema moved the counts: the write fails loudly
        entity_answers.split(model)


def test_stale_and_differing_entity_answers_are_found_and_stored_again(
    session: Session,
) -> None:
    ingest_article(session, meeting_article())
    ids = _ids(session)
    putin, russia = ids["Vladimir Putin"], ids["Russia"]
    session.execute(update(EntityAnswer).where(EntityAnswer.entity_id == putin).values(head=b"{"))
    session.execute(
        update(EntityAnswer).where(EntityAnswer.entity_id == russia).values(format="0.0.0-old")
    )
    session.commit()
    assert entity_answers.stored(session, russia) is None  # another format: built instead
    assert entity_answers.stale_ids(session) == [russia]
    assert entity_answers.differing(session, sorted(ids.values())) == [putin]
    everything = entity_answers.stale_ids(session, everything=True)
    assert sum(answers.store_all(session, everything, kind=answers.ENTITY)) == len(ids)
    assert_entity_answers_current(session)
    assert entity_answers.differing(session, everything) == []


def test_a_marked_entity_in_a_rolled_back_transaction_rebuilds_nothing(
    session: Session,
) -> None:
    ingest_article(session, meeting_article())
    putin = _ids(session)["Vladimir Putin"]
    session.execute(update(EntityAnswer).values(head=b"{"))  # what a rebuild would replace
    session.commit()
    before = _stored_rows(session)
    with pytest.raises(AssertionError), committing(session):
        answers.mark_entities(session, [putin])
        answers.mark_entity_pages(session, [putin])
        raise AssertionError
    with committing(session):  # a later transaction does not inherit the dropped marks
        pass
    assert _stored_rows(session) == before


def test_linking_a_place_to_its_state_rebuilds_the_places_answer(session: Session) -> None:
    body = "Officials at the Kremlin in Russia said nothing."
    kremlin = entity(body, "k", "location", "Kremlin")
    russia = entity(body, "r", "country", "Russia")
    ingest_article(session, _naming(body, kremlin, russia))
    assert (
        json.loads(assert_entity_answers_current(session)[_ids(session)["Kremlin"]])["stands_for"]
        is None
    )
    later = "The Kremlin in Russia denied it."
    linked = replace(entity(later, "k", "location", "Kremlin"), stands_for="r")
    ingest_article(session, _naming(later, linked, entity(later, "r", "country", "Russia")))
    ids = _ids(session)
    stands_for = json.loads(assert_entity_answers_current(session)[ids["Kremlin"]])["stands_for"]
    assert stands_for == {"id": ids["Russia"], "name": "Russia", "type": "country"}

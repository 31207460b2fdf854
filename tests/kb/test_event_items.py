"""Stored event items: the JSON a page of events shows, rebuilt by the writes that change it.

``assert_event_items_current`` compares every stored item with the item built now; each test
also checks what the write did or did not rebuild.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.models import Entity, Event, EventItem
from app.extract import types as x
from app.extract.pipeline import EXTRACTOR_VERSION, content_hash
from app.kb import answers, curate, event_items
from app.kb.curate import EntityEdit
from app.kb.ingest import delete_article, ingest_article
from app.kb.sql.pagination import MAX_LIMIT
from app.kb.sql.transaction import committing
from app.schemas.events import EventRead
from tests.answers_truth import assert_event_items_current
from tests.factories import entity, meeting_article

OTHER_DAY = "Vladimir Putin met Alexander Lukashenko in Russia again on Thursday."


def _ids(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Entity.name, Entity.id)).all())


def _event_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Event.id).order_by(Event.id)))


def _stored_rows(session: Session) -> dict[int, bytes]:
    session.expire_all()
    return {row.event_id: bytes(row.body) for row in session.scalars(select(EventItem))}


def test_an_ingest_stores_the_items_of_its_events(session: Session) -> None:
    ingest_article(session, meeting_article())
    stored = assert_event_items_current(session)
    [event_id] = _event_ids(session)
    item = EventRead.model_validate_json(stored[event_id])
    assert sorted(p.entity.name for p in item.participants) == [
        "Alexander Lukashenko",
        "Vladimir Putin",
    ]
    assert item.location is not None and item.location.name == "Russia"


def test_an_ingest_leaves_the_items_of_events_it_does_not_report(session: Session) -> None:
    ingest_article(session, meeting_article())
    before = _stored_rows(session)
    ingest_article(session, meeting_article(OTHER_DAY, day=date(2021, 9, 10)))
    after = _stored_rows(session)
    assert len(after) == 2
    assert {id_: after[id_] for id_ in before} == before
    assert_event_items_current(session)


def test_renaming_a_participant_rebuilds_the_items_naming_it(session: Session) -> None:
    ingest_article(session, meeting_article())
    ids = _ids(session)
    curate.update_entity(session, ids["Alexander Lukashenko"], EntityEdit(name="A. Lukashenko"))
    stored = assert_event_items_current(session)
    [event_id] = _event_ids(session)
    item = json.loads(stored[event_id])
    assert sorted(p["entity"]["name"] for p in item["participants"]) == [
        "A. Lukashenko",
        "Vladimir Putin",
    ]


def test_renaming_the_place_rebuilds_the_items_located_there(session: Session) -> None:
    ingest_article(session, meeting_article())
    curate.update_entity(session, _ids(session)["Russia"], EntityEdit(name="Russian Federation"))
    stored = assert_event_items_current(session)
    [body] = stored.values()
    assert json.loads(body)["location"]["name"] == "Russian Federation"


def test_a_merge_rebuilds_the_items_naming_the_merged_entity(session: Session) -> None:
    ingest_article(session, meeting_article())
    body = "V. Putin met Alexander Lukashenko in Russia on Friday."
    parsed = x.ParsedArticle(body=body, title="Talks", language="en")
    ingest_article(
        session,
        x.ExtractedArticle(
            parsed=parsed,
            content_hash=content_hash(parsed),
            extractor_version=EXTRACTOR_VERSION,
            entities=(entity(body, "p", "person", "V. Putin"),),
        ),
    )
    ids = _ids(session)
    curate.merge_entities(session, ids["Vladimir Putin"], ids["V. Putin"])
    stored = assert_event_items_current(session)
    [item] = stored.values()
    names = {p["entity"]["id"]: p["entity"]["name"] for p in json.loads(item)["participants"]}
    assert names[ids["V. Putin"]] == "V. Putin" and ids["Vladimir Putin"] not in names


def test_deleting_the_only_article_of_an_event_drops_its_item(session: Session) -> None:
    article_id = ingest_article(session, meeting_article()).article.id
    assert len(_stored_rows(session)) == 1
    delete_article(session, article_id)
    assert _stored_rows(session) == {}
    assert_event_items_current(session)


def _tampered_and_stale(session: Session) -> tuple[int, int, bytes]:
    """Two events: the first's stored item replaced by ``{}``, the second's of an older
    format; with the second's item as built now."""
    ingest_article(session, meeting_article(OTHER_DAY, day=date(2021, 9, 10)))
    first, second = _event_ids(session)
    built = event_items.built(session, [second])[second][0]
    session.execute(update(EventItem).where(EventItem.event_id == first).values(body=b"{}"))
    session.execute(
        update(EventItem).where(EventItem.event_id == second).values(format="0.0.0-old")
    )
    session.commit()
    return first, second, built


def test_bodies_read_stored_items_and_build_the_others_in_order(session: Session) -> None:
    ingest_article(session, meeting_article())
    first, second, built = _tampered_and_stale(session)
    # The stored bytes are served as they are (here tampered); another format's are not.
    assert event_items.bodies(session, [second, first, 2**31 - 1]) == [built, b"{}"]
    assert event_items.stale_ids(session) == [second]
    assert event_items.differing(session, [first, second]) == [first]
    stored = sum(answers.store_all(session, [first, second], kind=answers.EVENT))
    assert stored == 2
    assert_event_items_current(session)


def test_a_rolled_back_write_stores_no_item(session: Session) -> None:
    ingest_article(session, meeting_article())
    session.execute(update(EventItem).values(body=b"{}"))
    session.commit()
    with pytest.raises(AssertionError), committing(session):
        answers.mark_entities(session, [_ids(session)["Russia"]])
        raise AssertionError
    assert list(_stored_rows(session).values()) == [b"{}"]


def test_a_timeline_reads_stored_items_and_builds_the_others(session: Session) -> None:
    article_id = ingest_article(session, meeting_article()).article.id
    first, second, built = _tampered_and_stale(session)
    events, articles = event_items.timeline(session, [first, second], [article_id])
    assert events == {first: b"{}", second: built}
    assert list(articles) == [article_id] and articles[article_id].title == "Leaders meet"


@pytest.mark.parametrize("postgresql", [False, True])
def test_the_loop_read_of_every_event_takes_pages_up_to_the_largest_limit(
    postgresql: bool,
) -> None:
    """PostgreSQL's statement cuts its range at ``MAX_ROWS`` (a constant its one plan can
    see): a larger page would end the list there without a word, so it is refused (the
    session then answers)."""
    statement, parameters = event_items.list_read(None, MAX_LIMIT, postgresql=postgresql)
    assert parameters[-1] == MAX_LIMIT + 1 == event_items.MAX_ROWS
    if postgresql:
        assert f"LIMIT {event_items.MAX_ROWS})" in statement  # the range's own, constant cut
    with pytest.raises(ValueError, match="at most"):
        event_items.list_read(None, MAX_LIMIT + 1, postgresql=postgresql)

"""Watches are matched against each new article inside the ingest transaction, once."""

import json
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Entity, Watch, WatchDelivery
from app.errors import InvalidInput, InvalidQuery
from app.kb import ingest as kb_ingest
from app.kb import watches as kb_watches
from app.kb.watches import WatchFilters
from tests.factories import meeting_article

STORM = "A storm hit Lisbon on Monday while Alexander Lukashenko was in Russia."


def watch(session: Session, q: str | None = None, url: str | None = None, **filters: object) -> int:
    created = kb_watches.create_watch(
        session,
        q=q,
        filters=WatchFilters(**filters),
        webhook_url=url,  # type: ignore[arg-type]
    )
    return created.watch.id


def ingest(
    session: Session, body: str = "Vladimir Putin met Alexander Lukashenko in Russia on Thursday."
) -> int:
    return kb_ingest.ingest_article(session, meeting_article(body)).article.id


def matched(session: Session, watch_id: int) -> list[int]:
    return list(kb_watches.match_ids(session, watch_id))


def test_an_article_that_matches_the_query_is_recorded(session: Session) -> None:
    watch_id = watch(session, "putin")
    article_id = ingest(session)
    assert matched(session, watch_id) == [article_id]


def test_an_article_that_does_not_match_is_not_recorded(session: Session) -> None:
    watch_id = watch(session, "storm")
    ingest(session)
    assert matched(session, watch_id) == []


def test_an_excluded_word_keeps_the_article_out(session: Session) -> None:
    watch_id = watch(session, "putin -russia")
    ingest(session)
    assert matched(session, watch_id) == []


def test_a_phrase_must_match_in_order(session: Session) -> None:
    in_order, reversed_ = watch(session, '"vladimir putin"'), watch(session, '"putin vladimir"')
    article_id = ingest(session)
    assert matched(session, in_order) == [article_id]
    assert matched(session, reversed_) == []


@pytest.mark.parametrize(
    ("filters", "matches"),
    [
        ({"entity_types": ("country",)}, True),
        ({"entity_types": ("weapon",)}, False),
        ({"event_types": ("meeting", "attack")}, True),
        ({"event_types": ("attack",)}, False),
        ({"sources": ("test wire",)}, True),
        ({"sources": ("Other Wire",)}, False),
        ({"published_from": date(2021, 9, 12), "published_to": date(2021, 9, 12)}, True),
        ({"published_from": date(2021, 9, 13)}, False),
        ({"language": "en"}, True),
        ({"language": "de"}, False),
    ],
)
def test_filters_decide_with_the_query(
    session: Session, filters: dict[str, object], matches: bool
) -> None:
    watch_id = watch(session, "lukashenko", **filters)
    article_id = ingest(session)
    assert matched(session, watch_id) == ([article_id] if matches else [])


def test_entity_filter_needs_every_entity(session: Session) -> None:
    first = ingest(session)
    ids = dict(session.execute(select(Entity.name, Entity.id)).all())
    both = watch(session, entity_ids=(ids["Vladimir Putin"], ids["Russia"]))
    missing = watch(session, entity_ids=(ids["Vladimir Putin"], max(ids.values()) + 1))
    second = ingest(session, "Vladimir Putin met Alexander Lukashenko in Russia on Thursday night.")
    assert first != second
    assert matched(session, both) == [second]
    assert matched(session, missing) == []


def test_only_articles_ingested_after_the_watch_match(session: Session) -> None:
    ingest(session)
    watch_id = watch(session, "lukashenko")
    later = ingest(session, "Vladimir Putin met Alexander Lukashenko in Russia on Thursday, again.")
    assert matched(session, watch_id) == [later]


def test_the_same_article_ingested_again_is_matched_once(session: Session) -> None:
    watch_id = watch(session, "lukashenko")
    first = kb_ingest.ingest_article(session, meeting_article())
    again = kb_ingest.ingest_article(session, meeting_article())
    assert not again.created
    assert matched(session, watch_id) == [first.article.id]


def test_recording_an_article_twice_keeps_one_match(session: Session) -> None:
    watch_id = watch(session, "lukashenko", url="https://hooks.example.org/x")
    article = kb_ingest.ingest_article(session, meeting_article()).article
    kb_watches.record_matches(session, article)
    session.flush()
    assert matched(session, watch_id) == [article.id]
    assert session.scalar(select(func.count()).select_from(WatchDelivery)) == 1


def test_many_watches_are_matched_in_one_pass(session: Session) -> None:
    hits = [watch(session, "lukashenko") for _ in range(60)]
    misses = [watch(session, "storm") for _ in range(60)]
    article_id = ingest(session)
    assert all(matched(session, w) == [article_id] for w in hits)
    assert all(matched(session, w) == [] for w in misses)


def test_a_match_of_a_webhook_watch_queues_a_signed_body(session: Session) -> None:
    watch_id = watch(session, "lukashenko", url="https://hooks.example.org/x")
    article_id = ingest(session)
    delivery = session.scalars(select(WatchDelivery)).one()
    assert (delivery.watch_id, delivery.status, delivery.attempts) == (watch_id, "pending", 0)
    body = json.loads(delivery.body)
    assert body["type"] == "watch.match"
    assert body["watch_id"] == watch_id
    assert body["article"]["id"] == article_id
    assert body["article"]["title"] == "Leaders meet"
    assert body["article"]["source"] == "Test Wire"
    assert body["match"]["id"] == delivery.match_id


def test_a_watch_without_webhook_queues_no_delivery(session: Session) -> None:
    watch(session, "lukashenko")
    ingest(session)
    assert session.scalar(select(func.count()).select_from(WatchDelivery)) == 0


def test_a_paused_watch_records_matches_but_queues_no_delivery(session: Session) -> None:
    watch_id = watch(session, "lukashenko", url="https://hooks.example.org/x")
    kb_watches.update_watch(session, watch_id, kb_watches.WatchChanges(status="paused"))
    article_id = ingest(session)
    assert matched(session, watch_id) == [article_id]
    assert session.scalar(select(func.count()).select_from(WatchDelivery)) == 0


def test_a_query_of_stop_words_is_refused(session: Session) -> None:
    with pytest.raises(InvalidQuery):
        watch(session, "the of and")
    assert session.scalar(select(func.count()).select_from(Watch)) == 0


def test_a_watch_with_nothing_to_look_for_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput):
        watch(session, "  ")

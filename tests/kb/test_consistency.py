"""``consistency.check`` finds hand-made drift of each kind, and ``repair`` removes it."""

from collections.abc import Callable

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.db.models import (
    Entity,
    EntityArticle,
    EntityEvent,
    EntityStats,
    Event,
    EventEvidence,
    EventParticipant,
    Mention,
    Quote,
    Role,
)
from app.kb import consistency, curate
from app.kb.ingest import ingest_article
from tests.answers_truth import assert_event_items_current
from tests.entity_truth import assert_entity_stats_exact
from tests.factories import meeting_article

Drift = Callable[[Session, dict[str, int]], None]


@pytest.fixture
def stored(session: Session) -> dict[str, int]:
    """Two meeting articles, and the ids of their entities by name."""
    ingest_article(session, meeting_article())
    ingest_article(
        session, meeting_article("Vladimir Putin met Alexander Lukashenko in Russia last Thursday.")
    )
    return dict(session.execute(select(Entity.name, Entity.id)).all())


def _merged_copy(session: Session, ids: dict[str, int], name: str) -> int:
    """An entity already merged into ``name``'s, as a merge leaves it."""
    copy = Entity(type="person", name=f"{name} II", normalized_name=f"{name.lower()} ii")
    session.add(copy)
    session.flush()
    copy.merged_into_id = ids[name]
    session.flush()
    return copy.id


def facts_left_on_a_merged_entity(session: Session, ids: dict[str, int]) -> None:
    """What an ingest racing a merge used to leave: its facts on the merged entity."""
    copy = _merged_copy(session, ids, "Vladimir Putin")
    putin = ids["Vladimir Putin"]
    for model, column in ((Mention, Mention.entity_id), (Role, Role.person_id)):
        one = session.scalars(select(model.id).where(column == putin).limit(1)).one()
        session.execute(update(model).where(model.id == one).values({column.key: copy}))
    session.execute(
        update(EventParticipant).where(EventParticipant.entity_id == putin).values(entity_id=copy)
    )


def a_merge_chain(session: Session, ids: dict[str, int]) -> None:
    middle = _merged_copy(session, ids, "Alexander Lukashenko")
    first = _merged_copy(session, ids, "Alexander Lukashenko")
    session.execute(update(Entity).where(Entity.id == first).values(merged_into_id=middle))


def wrong_stored_counts(session: Session, ids: dict[str, int]) -> None:
    session.execute(
        update(EntityStats)
        .where(EntityStats.entity_id == ids["Russia"])
        .values(mention_count=99, article_count=7)
    )


def a_lost_entity_article_row(session: Session, ids: dict[str, int]) -> None:
    session.execute(
        delete(EntityArticle).where(EntityArticle.entity_id == ids["Alexander Lukashenko"])
    )


def a_lost_entity_event_row(session: Session, ids: dict[str, int]) -> None:
    session.execute(delete(EntityEvent).where(EntityEvent.entity_id == ids["Vladimir Putin"]))


def an_event_without_evidence(session: Session, ids: dict[str, int]) -> None:
    session.execute(delete(EventEvidence))


DRIFTS: dict[str, tuple[Drift, str]] = {
    "facts on merged": (facts_left_on_a_merged_entity, "mentions.entity_id names a merged"),
    "merge chain": (a_merge_chain, "entities.merged_into_id names a merged"),
    "counts": (wrong_stored_counts, "entity_stats that disagree"),
    "entity_articles": (a_lost_entity_article_row, "entity_articles rows missing"),
    "entity_events": (a_lost_entity_event_row, "entity_events rows missing"),
    "evidence": (an_event_without_evidence, "events without evidence"),
}


def test_a_consistent_database_shows_no_drift(session: Session, stored: dict[str, int]) -> None:
    assert consistency.check(session) == []


@pytest.mark.parametrize("kind", DRIFTS)
def test_check_finds_the_drift_and_repair_removes_it(
    session: Session, stored: dict[str, int], kind: str
) -> None:
    make, expected = DRIFTS[kind]
    make(session, stored)
    session.flush()
    found = consistency.check(session)
    assert any(f.check.startswith(expected) and f.count > 0 for f in found), found
    assert consistency.repair(session) == found
    assert consistency.check(session) == []
    assert_entity_stats_exact(session)
    assert_event_items_current(session)  # an event the repair deleted has no item left


def test_repair_moves_facts_onto_the_surviving_entity(
    session: Session, stored: dict[str, int]
) -> None:
    facts_left_on_a_merged_entity(session, stored)
    consistency.repair(session)
    merged = select(Entity.id).where(Entity.merged_into_id.is_not(None))
    for column in (Mention.entity_id, Role.person_id, Quote.speaker_id):
        assert not session.scalars(select(column).where(column.in_(merged))).all()
    putin = stored["Vladimir Putin"]
    mentions = session.scalar(select(func.count()).where(Mention.entity_id == putin))
    assert mentions == 2
    assert session.scalars(
        select(EventParticipant.entity_id).where(EventParticipant.entity_id == putin)
    ).all()


def test_repair_follows_a_chain_to_its_end(session: Session, stored: dict[str, int]) -> None:
    a_merge_chain(session, stored)
    consistency.repair(session)
    into = set(session.scalars(select(Entity.merged_into_id).where(Entity.merged_into_id > 0)))
    assert into == {stored["Alexander Lukashenko"]}


def test_repair_deletes_events_without_evidence(session: Session, stored: dict[str, int]) -> None:
    assert session.scalar(select(func.count()).select_from(Event))
    an_event_without_evidence(session, stored)
    consistency.repair(session)
    assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_a_merge_leaves_nothing_to_repair(session: Session, stored: dict[str, int]) -> None:
    curate.merge_entities(session, stored["Alexander Lukashenko"], into_id=stored["Vladimir Putin"])
    assert consistency.check(session) == []

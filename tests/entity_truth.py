"""What the stored entity statistics must equal: the same figures recomputed from mentions."""

from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import (
    Article,
    Entity,
    EntityArticle,
    EntityEvent,
    EntityStats,
    Event,
    EventParticipant,
    Mention,
)
from app.db.models.entities import NEVER_SEEN
from app.kb import consistency

Counts = tuple[int, int, datetime | None]  # mentions, articles, last seen (None: never)
Link = tuple[str, int, datetime, date | None]  # type, mentions, seen at, published on


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def expected_links(session: Session) -> dict[tuple[int, int], Link]:
    rows = session.execute(
        select(Mention.entity_id, Article, Entity.type, func.count())
        .join(Article, Article.id == Mention.article_id)
        .join(Entity, Entity.id == Mention.entity_id)
        .group_by(Mention.entity_id, Article.id, Entity.type)
    )
    links = {}
    for entity_id, article, type_, n in rows:
        published = _utc(article.published_at) if article.published_at else None
        seen = published or _utc(article.created_at)
        links[(entity_id, article.id)] = (type_, n, seen, published.date() if published else None)
    return links


def stored_links(session: Session) -> dict[tuple[int, int], Link]:
    return {
        (link.entity_id, link.article_id): (
            link.entity_type,
            link.mention_count,
            _utc(link.seen_at),
            link.published_on,
        )
        for link in session.scalars(select(EntityArticle))
    }


def expected_stats(session: Session) -> dict[int, Counts]:
    counts: dict[int, Counts] = dict.fromkeys(session.scalars(select(Entity.id)), (0, 0, None))
    for (entity_id, _), (_, n, seen, _) in expected_links(session).items():
        mentions, articles, last = counts[entity_id]
        counts[entity_id] = (mentions + n, articles + 1, seen if last is None else max(last, seen))
    return counts


def stored_stats(session: Session) -> dict[int, Counts]:
    return {
        s.entity_id: (
            s.mention_count,
            s.article_count,
            None if _utc(s.last_seen_at) == NEVER_SEEN else _utc(s.last_seen_at),
        )
        for s in session.scalars(select(EntityStats))
    }


def expected_events(session: Session) -> set[tuple[int, int, date | None]]:
    rows = session.execute(
        select(EventParticipant.entity_id, Event.id, Event.date_start).join(
            Event, Event.id == EventParticipant.event_id
        )
    )
    return {(entity_id, event_id, day) for entity_id, event_id, day in rows}


def stored_events(session: Session) -> set[tuple[int, int, date | None]]:
    return {(e.entity_id, e.event_id, e.date_start) for e in session.scalars(select(EntityEvent))}


def assert_entity_stats_exact(session: Session) -> None:
    """Every entity has its stats row, equal to a recount; every (entity, article) its link,
    every (entity, event) its row; and ``newskb check`` finds nothing."""
    session.expire_all()
    assert consistency.check(session) == []
    assert stored_links(session) == expected_links(session)
    assert stored_events(session) == expected_events(session)
    assert stored_stats(session) == expected_stats(session)
    types = dict(session.execute(select(Entity.id, Entity.type)).all())
    assert {s.entity_id: s.type for s in session.scalars(select(EntityStats))} == types

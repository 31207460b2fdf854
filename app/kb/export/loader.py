"""Walk articles, entities and events in keyset batches, so an export's memory stays flat.

Each batch is one query per relationship (``selectinload``); nothing keeps a reference to a
finished batch, and the session's identity map holds its objects weakly, so they are freed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.db.models import Article, Entity, Event, EventEvidence, Mention, Quote, Role
from app.kb.articles import event_load_options, sort_time

BATCH_SIZE = 200
M = TypeVar("M")


@dataclass(frozen=True)
class ArticleBundle:
    """An article with every fact loaded, and the events it reports."""

    article: Article
    events: list[Event]


@dataclass(frozen=True)
class EntityStats:
    mentions: int = 0
    articles: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    article_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class EntityBundle:
    entity: Entity
    stats: EntityStats


def keyset_batches(
    fetch: Callable[[int], Sequence[M]], key: Callable[[M], int], batch_size: int
) -> Iterator[list[M]]:
    """Call ``fetch(after_id)`` until a short batch: each call is an indexed range scan."""
    after = 0
    while True:
        rows = list(fetch(after))
        if rows:
            yield rows
        if len(rows) < batch_size:
            return
        after = key(rows[-1])


def iter_articles(session: Session, *, batch_size: int = BATCH_SIZE) -> Iterator[ArticleBundle]:
    query = select(Article).options(
        selectinload(Article.source),
        selectinload(Article.mentions).selectinload(Mention.entity),
        selectinload(Article.roles).selectinload(Role.person),
        selectinload(Article.roles).selectinload(Role.of),
        selectinload(Article.timexes),
        selectinload(Article.amounts),
        selectinload(Article.quotes).selectinload(Quote.speaker),
    )

    def fetch(after: int) -> Sequence[Article]:
        return session.scalars(
            query.where(Article.id > after).order_by(Article.id).limit(batch_size)
        ).all()

    for batch in keyset_batches(fetch, lambda a: a.id, batch_size):
        events = _events_by_article(session, [a.id for a in batch])
        for article in batch:
            yield ArticleBundle(article, events.get(article.id, []))


def _events_by_article(session: Session, article_ids: list[int]) -> dict[int, list[Event]]:
    pairs = session.execute(
        select(EventEvidence.article_id, EventEvidence.event_id)
        .where(EventEvidence.article_id.in_(article_ids))
        .distinct()
    ).all()
    if not pairs:
        return {}
    events = {
        e.id: e
        for e in session.scalars(
            select(Event)
            .where(Event.id.in_({event_id for _, event_id in pairs}))
            .options(*event_load_options())
        )
    }
    found: dict[int, list[Event]] = defaultdict(list)
    for article_id, event_id in sorted(pairs):
        found[article_id].append(events[event_id])
    return found


def iter_entities(session: Session, *, batch_size: int = BATCH_SIZE) -> Iterator[EntityBundle]:
    """Live entities (not merged into another), with their mention statistics."""
    query = (
        select(Entity)
        .where(Entity.merged_into_id.is_(None))
        .options(selectinload(Entity.aliases), selectinload(Entity.stands_for))
    )

    def fetch(after: int) -> Sequence[Entity]:
        return session.scalars(
            query.where(Entity.id > after).order_by(Entity.id).limit(batch_size)
        ).all()

    for batch in keyset_batches(fetch, lambda e: e.id, batch_size):
        stats = entity_stats(session, [e.id for e in batch])
        for entity in batch:
            yield EntityBundle(entity, stats.get(entity.id, EntityStats()))


def entity_stats(session: Session, entity_ids: list[int]) -> dict[int, EntityStats]:
    rows = session.execute(
        select(
            Mention.entity_id,
            Mention.article_id,
            func.count(Mention.id),
            func.min(sort_time),
        )
        .join(Article, Article.id == Mention.article_id)
        .where(Mention.entity_id.in_(entity_ids))
        .group_by(Mention.entity_id, Mention.article_id)
        .order_by(Mention.entity_id, Mention.article_id)
    ).all()
    grouped: dict[int, list[tuple[int, int, datetime | None]]] = defaultdict(list)
    for entity_id, article_id, count, seen in rows:
        grouped[entity_id].append((article_id, count, _utc(seen)))
    stats = {}
    for entity_id, per_article in grouped.items():
        times = [t for _, _, t in per_article if t is not None]
        stats[entity_id] = EntityStats(
            mentions=sum(c for _, c, _ in per_article),
            articles=len(per_article),
            first_seen=min(times, default=None),
            last_seen=max(times, default=None),
            article_ids=tuple(a for a, _, _ in per_article),
        )
    return stats


def _utc(value: Any) -> datetime | None:
    """``min()`` loses the column type on SQLite: read the text back as UTC."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iter_events(session: Session, *, batch_size: int = BATCH_SIZE) -> Iterator[Event]:
    """Events with participants, location, amounts and evidence spans."""
    query = select(Event).options(*event_load_options())

    def fetch(after: int) -> Sequence[Event]:
        return session.scalars(
            query.where(Event.id > after).order_by(Event.id).limit(batch_size)
        ).all()

    for batch in keyset_batches(fetch, lambda e: e.id, batch_size):
        yield from batch

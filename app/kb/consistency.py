"""Find, and on request repair, drift between facts and the rows derived from them.

What the write paths keep true, checked in SQL over the whole database (``newskb check``):

- no fact, alias, derived row or merge points to an entity that was merged away;
- ``entity_articles`` holds one row per (entity, article) with mentions, with their count;
- ``entity_events`` holds one row per (entity, event) with a participation;
- ``entity_stats`` agrees with ``entity_articles`` (mentions, articles, newest date);
- every event has evidence in some article.

A race that slipped past the locks, an interrupted manual edit or a bug leaves such drift;
``repair`` fixes it in one transaction, in dependency order (merges first, counts last).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from app.db.base import UTCDateTime
from app.db.models import (
    Article,
    Entity,
    EntityAlias,
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
from app.db.models.entities import NEVER_SEEN
from app.kb import answers, curate, entity_stats, event_items
from app.kb.sql.transaction import committing

Query: TypeAlias = Select[*tuple[Any, ...]]

# Every column that names an entity and must not name a merged one.
ENTITY_REFERENCES: tuple[Any, ...] = (
    Mention.entity_id,
    Role.person_id,
    Role.of_id,
    Quote.speaker_id,
    EventParticipant.entity_id,
    Event.location_id,
    Event.name_entity_id,
    EntityAlias.entity_id,
    EntityArticle.entity_id,
    EntityEvent.entity_id,
    Entity.stands_for_id,
    Entity.merged_into_id,  # a chain: merged into an entity merged in turn
)


@dataclass(frozen=True)
class Finding:
    check: str
    count: int  # rows (or entities, for counts) that disagree


def check(session: Session) -> list[Finding]:
    """Every kind of drift with how many rows show it; empty when the database is consistent."""
    found = [Finding(name, _count(session, query)) for name, query in _queries()]
    return [finding for finding in found if finding.count]


def repair(session: Session) -> list[Finding]:
    """Fix every drift ``check`` finds, in one transaction; returns what was found."""
    with committing(session):
        found = check(session)
        if found:
            touched = _repair_merged(session)
            answers.mark_entities(session, touched)
            touched |= _repair_entity_articles(session)
            _repair_entity_events(session)
            session.execute(delete(Event).where(~_has_evidence()))
            event_items.drop_orphans(session)
            entity_stats.refresh(session, touched | set(session.scalars(_stale_stats())))
    session.expire_all()
    return found


def _queries() -> list[tuple[str, Query]]:
    merged = [
        (f"{column.class_.__tablename__}.{column.key} names a merged entity", _on_merged(column))
        for column in ENTITY_REFERENCES
    ]
    return [
        *merged,
        ("entity_articles rows missing or with a wrong count", _missing_entity_articles()),
        ("entity_articles rows without a mention", _extra_entity_articles()),
        ("entity_events rows missing", _missing_entity_events()),
        ("entity_events rows without a participation", _extra_entity_events()),
        ("entity_stats that disagree with entity_articles", _stale_stats()),
        ("events without evidence", select(Event.id).where(~_has_evidence())),
    ]


def _count(session: Session, query: Query) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


_merged_ids = select(Entity.id).where(Entity.merged_into_id.is_not(None))


def _on_merged(column: Any) -> Query:
    return select(column).where(column.in_(_merged_ids))


def _mention_counts() -> Any:
    return (
        select(Mention.entity_id, Mention.article_id, func.count().label("n"))
        .group_by(Mention.entity_id, Mention.article_id)
        .subquery()
    )


def _missing_entity_articles() -> Query:
    counted = _mention_counts()
    link = EntityArticle
    return (
        select(counted.c.article_id, counted.c.entity_id)
        .outerjoin(
            link,
            and_(link.entity_id == counted.c.entity_id, link.article_id == counted.c.article_id),
        )
        .where(or_(link.entity_id.is_(None), link.mention_count != counted.c.n))
    )


def _extra_entity_articles() -> Query:
    link = EntityArticle
    named = exists().where(
        Mention.entity_id == link.entity_id, Mention.article_id == link.article_id
    )
    return select(link.article_id, link.entity_id).where(~named)


def _missing_entity_events() -> Query:
    link = EntityEvent
    p = EventParticipant
    linked = exists().where(link.entity_id == p.entity_id, link.event_id == p.event_id)
    return select(p.event_id, p.entity_id).where(~linked).distinct()


def _extra_entity_events() -> Query:
    link = EntityEvent
    p = EventParticipant
    takes_part = exists().where(p.entity_id == link.entity_id, p.event_id == link.event_id)
    return select(link.event_id, link.entity_id).where(~takes_part)


def _stale_stats() -> Query:
    """Entities whose stats row is missing or differs from a recount of entity_articles."""
    link = EntityArticle

    def of_entity(value: Any) -> Any:
        return select(value).where(link.entity_id == Entity.id).scalar_subquery()

    stats = aliased(EntityStats)
    never = literal(NEVER_SEEN, UTCDateTime)
    differs: ColumnElement[bool] = or_(
        stats.entity_id.is_(None),
        stats.mention_count != func.coalesce(of_entity(func.sum(link.mention_count)), 0),
        stats.article_count != of_entity(func.count()),
        stats.last_seen_at != func.coalesce(of_entity(func.max(link.seen_at)), never),
    )
    return select(Entity.id).outerjoin(stats, stats.entity_id == Entity.id).where(differs)


def _has_evidence() -> ColumnElement[bool]:
    return exists().where(EventEvidence.event_id == Event.id)


def _repair_merged(session: Session) -> set[int]:
    """Move what still names a merged entity onto the entity its merge chain ends at."""
    stray: set[int] = set()
    for column in ENTITY_REFERENCES:
        stray |= set(session.scalars(_on_merged(column).distinct()))
    if not stray:
        return set()
    into: dict[int, int | None] = dict(
        session.execute(select(Entity.id, Entity.merged_into_id)).all()
    )
    touched: set[int] = set()
    for old in sorted(stray):
        new = _end_of_chain(into, old)
        curate.lock_entities(session, [old, new])
        curate.move_onto(session, old, new)
        session.execute(update(Entity).where(Entity.id == old).values(merged_into_id=new))
        touched |= {old, new}
    session.flush()
    return touched


def _end_of_chain(into: dict[int, int | None], entity_id: int) -> int:
    seen = {entity_id}
    while (following := into.get(entity_id)) is not None and following not in seen:
        seen.add(following)
        entity_id = following
    return entity_id


def _repair_entity_articles(session: Session) -> set[int]:
    """Derive the entity_articles rows of every article that shows drift again."""
    rows = [
        *session.execute(_missing_entity_articles()),
        *session.execute(_extra_entity_articles()),
    ]
    articles = sorted({article_id for article_id, _ in rows})
    touched = {entity_id for _, entity_id in rows}
    for article in _each(session, articles, lambda ids: select(Article).where(Article.id.in_(ids))):
        touched |= entity_stats.entity_ids_of_article(session, article.id)
        answers.mark_article(session, article.id)  # its entities' counts
        session.execute(delete(EntityArticle).where(EntityArticle.article_id == article.id))
        entity_stats.link_article(session, article)
    return touched


def _repair_entity_events(session: Session) -> None:
    extra = session.execute(_extra_entity_events()).all()
    for event_id, entity_id in extra:
        session.execute(
            delete(EntityEvent).where(
                EntityEvent.event_id == event_id, EntityEvent.entity_id == entity_id
            )
        )
    missing = session.execute(
        select(EventParticipant.event_id, Event.date_start, EventParticipant.entity_id)
        .join(Event, Event.id == EventParticipant.event_id)
        .where(
            ~exists().where(
                EntityEvent.entity_id == EventParticipant.entity_id,
                EntityEvent.event_id == EventParticipant.event_id,
            )
        )
    ).all()
    entity_stats.link_events(session, [(e, d, [i]) for e, d, i in missing])


def _each(session: Session, ids: list[int], query: Callable[[list[int]], Query]) -> Iterable[Any]:
    for start in range(0, len(ids), 500):
        yield from session.scalars(query(ids[start : start + 500]))

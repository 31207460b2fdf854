"""The article, entity and event pages, event list items and timeline items as the ORM built them
before ``app.kb.pages``: the references that the Core versions are compared with
(``test_pages.py``), on every fixture article."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import desc, func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.db.models import (
    Article,
    Entity,
    EntityStats,
    Event,
    EventEvidence,
    Mention,
    Quote,
    Role,
)
from app.errors import NotFound
from app.kb.articles import event_load_options, sort_time
from app.kb.entities import (
    ROLE_SUMMARY_LIMIT,
    EntityCounts,
    _counts,
    get_entity,
)
from app.schemas.articles import ArticleEntity, ArticleRead
from app.schemas.entities import EntityRead
from app.schemas.entities import RoleSummary as RoleSummaryRead
from app.schemas.events import EventArticle, EventRead, TimelineItem
from app.schemas.events import EventDetail as EventDetailRead


@dataclass(frozen=True)
class ArticleDetail:
    article: Article
    entities: list[tuple[Entity, int]]  # with mention counts, most mentioned first
    events: list[Event]


def get_article_detail(session: Session, article_id: int) -> ArticleDetail:
    """The article, its metadata and every fact extracted from it, in a fixed number of queries.

    Each query costs about a millisecond of ORM work whatever its size, so many-to-one links
    (source, entity, person, speaker...) are joined into their parent's query, and the
    mentions, which the answer only counts, are grouped by the database.
    """
    article = session.scalars(
        select(Article)
        .where(Article.id == article_id)
        .options(
            joinedload(Article.source),
            selectinload(Article.roles).options(joinedload(Role.person), joinedload(Role.of)),
            selectinload(Article.timexes),
            selectinload(Article.amounts),
            selectinload(Article.quotes).joinedload(Quote.speaker),
        )
    ).first()
    if article is None:
        raise NotFound(f"Article {article_id} does not exist.")
    counted: list[tuple[Entity, int]] = [
        (entity, count)
        for entity, count in session.execute(
            select(Entity, func.count(Mention.id))
            .join(Mention, Mention.entity_id == Entity.id)
            .where(Mention.article_id == article_id)
            .group_by(Entity.id)
        )
    ]
    entities = sorted(counted, key=lambda pair: (-pair[1], pair[0].name))
    events = list(
        session.scalars(
            select(Event)
            .where(
                Event.id.in_(
                    select(EventEvidence.event_id).where(EventEvidence.article_id == article_id)
                )
            )
            .options(*event_load_options())
            .order_by(Event.date_start.is_(None), Event.date_start, Event.id)
        )
    )
    return ArticleDetail(article, entities, events)


def reference_article_read(session: Session, article_id: int) -> ArticleRead:
    """As before, but with the article's own facts in id order: the ORM loaded them without
    an ORDER BY, which PostgreSQL answered in heap order (a quote updated after its insert
    came last); the Core version orders them by id, as SQLite always returned them."""
    detail = get_article_detail(session, article_id)
    for name in ("roles", "timexes", "amounts", "quotes"):
        facts = sorted(getattr(detail.article, name), key=lambda fact: fact.id)
        set_committed_value(detail.article, name, facts)
    read = ArticleRead.model_validate(detail.article)
    read.entities = [
        ArticleEntity(id=e.id, name=e.name, type=e.type, mention_count=count)
        for e, count in detail.entities
    ]
    read.events = [EventRead.model_validate(e) for e in detail.events]
    return read


@dataclass(frozen=True)
class EventDetail:
    event: Event
    articles: list[Article]


def get_event_detail(session: Session, event_id: int) -> EventDetail:
    """The event, and the articles its evidence comes from (oldest first)."""
    event = get_event(session, event_id)
    article_ids = {e.article_id for e in event.evidence}
    articles = list(
        session.scalars(
            select(Article)
            .where(Article.id.in_(article_ids))
            .options(selectinload(Article.source))
            .order_by(sort_time, Article.id)
        )
    )
    return EventDetail(event, articles)


def reference_event_read(session: Session, event_id: int) -> EventDetailRead:
    detail = get_event_detail(session, event_id)
    read = EventDetailRead.model_validate(detail.event)
    read.articles = [EventArticle.model_validate(a) for a in detail.articles]
    return read


def get_event(session: Session, event_id: int) -> Event:
    """One event with its relationships loaded, as the event page read it before Core rows."""
    event = session.scalars(
        select(Event).where(Event.id == event_id).options(*event_load_options())
    ).first()
    if event is None:
        raise NotFound(f"Event {event_id} does not exist.")
    return event


def reference_event_items(session: Session, event_ids: list[int]) -> list[EventRead]:
    """List items as the ORM built them: each event with its relationships loaded."""
    return [EventRead.model_validate(get_event(session, event_id)) for event_id in event_ids]


def reference_timeline_items(session: Session, items: list[dict[str, Any]]) -> list[TimelineItem]:
    """A timeline page's items (kind, date, id) as the ORM built them."""
    answers = []
    for item in items:
        event = article = None
        if item["kind"] == "event":
            event = EventRead.model_validate(get_event(session, item["event"]["id"]))
        else:
            loaded = session.scalars(
                select(Article)
                .where(Article.id == item["article"]["id"])
                .options(selectinload(Article.source))
            ).one()
            article = EventArticle.model_validate(loaded)
        answers.append(
            TimelineItem(kind=item["kind"], date=item["date"], event=event, article=article)
        )
    return answers


@dataclass(frozen=True)
class RoleSummary:
    """One distinct role (title + of + qualifier) of a person: how often it was stated, newest
    evidence. A former minister and a minister are two roles."""

    evidence: Role  # the newest statement (highest id), with ``of`` and ``person`` loaded
    evidence_count: int
    article_count: int


@dataclass(frozen=True)
class EntityDetail:
    entity: Entity
    counts: EntityCounts
    roles: list[RoleSummary]
    role_count: int


def _get_entity_detail(session: Session, entity_id: int) -> EntityDetail:
    """The entity page: the entity, its stored counts and its most-stated roles (capped)."""
    entity = get_entity(session, entity_id)
    stats = session.get(EntityStats, entity_id)
    roles, role_count = _role_summary(session, entity_id, limit=ROLE_SUMMARY_LIMIT)
    counts = _counts(stats) if stats is not None else EntityCounts()
    return EntityDetail(entity, counts, roles, role_count)


def _role_summary(session: Session, person_id: int, *, limit: int) -> tuple[list[RoleSummary], int]:
    """Distinct roles, most-stated first (articles, then statements), and how many there are.

    One grouping over the person's statements (read from the ``(person_id, id)`` index),
    then the newest statement of each role shown.
    """
    statements, articles = func.count(), func.count(func.distinct(Role.article_id))
    newest = func.max(Role.id)
    rows = session.execute(
        select(
            newest.label("newest"),
            statements.label("statements"),
            articles.label("articles"),
            func.count().over().label("roles"),
        )
        .where(Role.person_id == person_id)
        .group_by(Role.title, Role.of_id, Role.qualifier)
        .order_by(desc("articles"), desc("statements"), desc("newest"))
        .limit(limit)
    ).all()
    if not rows:
        return [], 0
    evidence = {
        role.id: role
        for role in session.scalars(
            select(Role)
            .where(Role.id.in_([row.newest for row in rows]))
            .options(selectinload(Role.of), selectinload(Role.person))
        )
    }
    summary = [RoleSummary(evidence[row.newest], row.statements, row.articles) for row in rows]
    return summary, int(rows[0].roles)


def reference_entity_read(session: Session, entity_id: int) -> EntityRead:
    """The entity page as the router built it from ORM objects."""
    detail = _get_entity_detail(session, entity_id)
    read = EntityRead.model_validate(detail.entity)
    read.mention_count, read.article_count = detail.counts.mentions, detail.counts.articles
    read.last_seen = detail.counts.last_seen
    read.roles = [
        RoleSummaryRead.model_validate(
            {
                "title": role.evidence.title,
                "qualifier": role.evidence.qualifier,
                "person": role.evidence.person,
                "of": role.evidence.of,
                "evidence": role.evidence,
                "evidence_count": role.evidence_count,
                "article_count": role.article_count,
            }
        )
        for role in detail.roles
    ]
    read.role_count = detail.role_count
    return read

"""The knowledge base as a graph: nodes and edges read in keyset batches, never all at once.

Nodes: every live entity (``e<id>``), event (``v<id>``) and article (``a<id>``).
Edges, each with a ``label``:

- ``CO_MENTIONED`` entity → entity (lower id → higher id), for every two entities named in a
  same article: ``articles`` (how many articles name both), ``sentences`` (how many sentences
  name both: a sentence is the ``sentence`` index that every mention stores, within its zone
  and zone index, so a title, a caption and a body sentence are three sentences), ``weight``
  (= ``articles``, the one number graph tools read by default);
- ``PARTICIPATED_IN`` entity → event, one per role (``role``: agent, buyer, ...);
- ``QUOTED`` speaker → article, one per quote (``quote_id``, ``text``, ``direct``);
- ``REPORTED_IN`` event → article (``main``: the article's main event);
- ``LOCATED_IN`` event → the place (or country) where it happened.

Entities are read with their counts through ``loader.iter_entities`` (as the CSV export);
co-mentions are counted in SQL for one batch of entities at a time (``GROUP BY`` over the
mentions of the batch's entities joined to the mentions of the same articles).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeAlias

from sqlalchemy import Integer, Select, and_, cast, func, select
from sqlalchemy.orm import Session, aliased

from app.db.models import (
    Article,
    Entity,
    Event,
    EventEvidence,
    EventParticipant,
    Mention,
    Quote,
    Source,
)
from app.kb.export.loader import iter_entities, keyset_batches

Value = str | int | bool | date | datetime | None
Query: TypeAlias = Select[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    labels: tuple[str, ...]  # "Entity", "Person"
    props: dict[str, Value] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Edge:
    id: str
    source: str
    target: str
    label: str
    props: dict[str, Value] = field(default_factory=dict)


def entity_node_id(entity_id: int) -> str:
    return f"e{entity_id}"


def iter_nodes(session: Session, *, batch_size: int) -> Iterator[Node]:
    for bundle in iter_entities(session, batch_size=batch_size):
        e, stats = bundle.entity, bundle.stats
        yield Node(
            entity_node_id(e.id),
            ("Entity", e.type.capitalize()),
            {
                "name": e.name,
                "type": e.type,
                "aliases": ";".join(sorted({a.alias for a in e.aliases})),
                "country_code": e.country_code,
                "wikidata_id": e.wikidata_id,
                "mention_count": stats.mentions,
                "article_count": stats.articles,
            },
        )
    events = select(
        Event.id,
        Event.type,
        Event.status,
        Event.summary,
        Event.date_start,
        Event.date_end,
        Event.trigger,
    )
    for row in _rows(session, events, Event.id, batch_size):
        yield Node(
            f"v{row.id}",
            ("Event",),
            {
                "type": row.type,
                "status": row.status,
                "summary": row.summary,
                "date_start": row.date_start,
                "date_end": row.date_end,
                "trigger": row.trigger,
            },
        )
    articles = select(
        Article.id, Article.title, Article.url, Article.published_at, Source.name.label("source")
    ).outerjoin(Source, Source.id == Article.source_id)
    for row in _rows(session, articles, Article.id, batch_size):
        yield Node(
            f"a{row.id}",
            ("Article",),
            {
                "title": row.title,
                "url": row.url,
                "published_at": row.published_at,
                "source": row.source,
            },
        )


def iter_edges(session: Session, *, batch_size: int) -> Iterator[Edge]:
    yield from _co_mentions(session, batch_size)
    live = aliased(Entity)
    participations = (
        select(EventParticipant.id, EventParticipant.entity_id, EventParticipant.event_id)
        .add_columns(EventParticipant.role)
        .join(live, live.id == EventParticipant.entity_id)
        .where(live.merged_into_id.is_(None))
    )
    for row in _rows(session, participations, EventParticipant.id, batch_size):
        yield Edge(
            f"p{row.id}",
            entity_node_id(row.entity_id),
            f"v{row.event_id}",
            "PARTICIPATED_IN",
            {"role": row.role},
        )
    quotes = (
        select(Quote.id, Quote.speaker_id, Quote.article_id, Quote.text, Quote.direct)
        .join(live, live.id == Quote.speaker_id)
        .where(live.merged_into_id.is_(None))
    )
    for row in _rows(session, quotes, Quote.id, batch_size):
        yield Edge(
            f"q{row.id}",
            entity_node_id(row.speaker_id),
            f"a{row.article_id}",
            "QUOTED",
            {"quote_id": row.id, "text": row.text, "direct": row.direct},
        )
    yield from _reports(session, batch_size)
    places = (
        select(Event.id, Event.location_id)
        .join(live, live.id == Event.location_id)
        .where(live.merged_into_id.is_(None))
    )
    for row in _rows(session, places, Event.id, batch_size):
        yield Edge(f"l{row.id}", f"v{row.id}", entity_node_id(row.location_id), "LOCATED_IN", {})


def _rows(session: Session, query: Query, key: Any, batch_size: int) -> Iterator[Any]:
    """``query`` in ``key`` order, ``batch_size`` rows per statement."""

    def fetch(after: int) -> Sequence[Any]:
        return session.execute(query.where(key > after).order_by(key).limit(batch_size)).all()

    for batch in keyset_batches(fetch, lambda row: row[0], batch_size):
        yield from batch


def _id_ranges(session: Session, key: Any, batch_size: int) -> Iterator[tuple[int, int]]:
    """``(first, last)`` ids of consecutive batches of ``key``'s table."""
    ids = select(key)

    def fetch(after: int) -> Sequence[Any]:
        return session.execute(ids.where(key > after).order_by(key).limit(batch_size)).all()

    for batch in keyset_batches(fetch, lambda row: row[0], batch_size):
        yield batch[0][0], batch[-1][0]


def _co_mentions(session: Session, batch_size: int) -> Iterator[Edge]:
    a, b, other = aliased(Mention), aliased(Mention), aliased(Entity)
    live_entities = select(Entity.id).where(Entity.merged_into_id.is_(None)).subquery()
    for first, last in _id_ranges(session, live_entities.c.id, batch_size):
        pair = (
            select()
            .select_from(a)
            .join(b, and_(b.article_id == a.article_id, b.entity_id > a.entity_id))
            .join(other, and_(other.id == b.entity_id, other.merged_into_id.is_(None)))
            .where(a.entity_id.between(first, last))
        )
        articles = session.execute(
            pair.add_columns(a.entity_id, b.entity_id, func.count(a.article_id.distinct()))
            .group_by(a.entity_id, b.entity_id)
            .order_by(a.entity_id, b.entity_id)
        ).all()
        same_sentence = (
            pair.add_columns(
                a.entity_id.label("source"),
                b.entity_id.label("target"),
                a.article_id,
                a.zone,
                a.zone_index,
                a.sentence,
            )
            .where(a.zone == b.zone, a.zone_index == b.zone_index, a.sentence == b.sentence)
            .distinct()
            .subquery()
        )
        sentences = {
            (source, target): count
            for source, target, count in session.execute(
                select(same_sentence.c.source, same_sentence.c.target, func.count()).group_by(
                    same_sentence.c.source, same_sentence.c.target
                )
            )
        }
        for source, target, shared in articles:
            yield Edge(
                f"c{source}-{target}",
                entity_node_id(source),
                entity_node_id(target),
                "CO_MENTIONED",
                {
                    "articles": shared,
                    "sentences": sentences.get((source, target), 0),
                    "weight": shared,
                },
            )


def _reports(session: Session, batch_size: int) -> Iterator[Edge]:
    for first, last in _id_ranges(session, Event.id, batch_size):
        rows = session.execute(
            select(
                EventEvidence.event_id,
                EventEvidence.article_id,
                func.max(cast(EventEvidence.main, Integer)),
            )
            .where(EventEvidence.event_id.between(first, last))
            .group_by(EventEvidence.event_id, EventEvidence.article_id)
            .order_by(EventEvidence.event_id, EventEvidence.article_id)
        ).all()
        for event_id, article_id, main in rows:
            yield Edge(
                f"r{event_id}-{article_id}",
                f"v{event_id}",
                f"a{article_id}",
                "REPORTED_IN",
                {"main": bool(main)},
            )

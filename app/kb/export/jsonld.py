"""JSON-LD: one ``@graph`` of schema.org ``NewsArticle``, entity and ``Event`` nodes.

The context is inline (no network needed to read it back). ``@vocab`` is ``http://schema.org/``,
as in schema.org's own context file, so terms expand the same with either context. What
schema.org cannot say (character spans, event types, roles' evidence) goes in a ``newskb:``
namespace. Node ids are URNs: ``urn:newskb:article:1``, ``urn:newskb:entity:7``,
``urn:newskb:event:3``, ``urn:newskb:quote:12``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from app.db.models import Entity, Event, Mention, Quote, Role
from app.kb.export.loader import ArticleBundle, EntityBundle, iter_articles, iter_entities
from app.kb.export.loader import iter_events as load_events

NEWSKB_NS = "https://newskb.dev/ns#"
CONTEXT: dict[str, Any] = {
    "@vocab": "http://schema.org/",
    "newskb": NEWSKB_NS,
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "datePublished": {"@type": "xsd:dateTime"},
    "newskb:ingestedAt": {"@type": "xsd:dateTime"},
    "startDate": {"@type": "xsd:date"},
    "endDate": {"@type": "xsd:date"},
    "sameAs": {"@type": "@id"},
}
SCHEMA_TYPES = {
    "person": "Person",
    "organization": "Organization",
    "group": "Organization",
    "country": "Country",
    "place": "Place",
    "event": "Event",
    "weapon": "Product",
    "product": "Product",
    "work": "CreativeWork",
    "other": "Thing",
}


def node_id(kind: str, id_: int) -> str:
    return f"urn:newskb:{kind}:{id_}"


def _ref(kind: str, id_: int) -> dict[str, str]:
    return {"@id": node_id(kind, id_)}


def _span(row: Mention | Quote | Role) -> dict[str, Any]:
    return {
        "newskb:start": row.start,
        "newskb:end": row.end,
        "newskb:zone": row.zone,
        "newskb:zoneIndex": row.zone_index,
    }


def _compact(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if v is not None and v != []}


def article_node(bundle: ArticleBundle) -> dict[str, Any]:
    a = bundle.article
    mentions = sorted(a.mentions, key=lambda m: (m.zone, m.zone_index, m.start, m.id))
    return _compact(
        {
            "@id": node_id("article", a.id),
            "@type": "NewsArticle",
            "headline": a.title,
            "url": a.url,
            "datePublished": a.published_at.isoformat() if a.published_at else None,
            "newskb:ingestedAt": a.created_at.isoformat(),
            "author": [{"@type": "Person", "name": name} for name in a.authors],
            "publisher": (
                _compact(
                    {
                        "@type": "Organization",
                        "name": a.source.name,
                        "newskb:domain": a.source.domain,
                    }
                )
                if a.source
                else None
            ),
            "description": a.teaser,
            "articleSection": a.section,
            # The dateline's place as written ("LOS ANGELES"), not resolved to an entity.
            "locationCreated": {"@type": "Place", "name": a.dateline} if a.dateline else None,
            "keywords": a.tags,
            "inLanguage": a.language,
            "wordCount": a.word_count,
            "articleBody": a.body,
            "mentions": [_ref("entity", i) for i in sorted({m.entity_id for m in mentions})],
            "about": [_ref("event", e.id) for e in bundle.events],
            "hasPart": [_quote_node(q) for q in sorted(a.quotes, key=lambda q: q.id)],
            "newskb:contentHash": a.content_hash,
            "newskb:extractorVersion": a.extractor_version,
            "newskb:mention": [
                {
                    "@type": "newskb:Mention",
                    "newskb:entity": _ref("entity", m.entity_id),
                    "newskb:text": m.text,
                    **_span(m),
                }
                for m in mentions
            ],
            "newskb:role": [_role_node(r) for r in sorted(a.roles, key=lambda r: r.id)],
        }
    )


def _role_node(r: Role) -> dict[str, Any]:
    """A role statement of the article: who holds which title of what, as the text says."""
    return _compact(
        {
            "@type": "newskb:RoleStatement",
            "newskb:person": _ref("entity", r.person_id),
            "newskb:title": r.title,
            "newskb:qualifier": r.qualifier,  # "former", "acting", ...
            "newskb:of": _ref("entity", r.of_id) if r.of_id else None,
            "newskb:text": r.text,
            **_span(r),
        }
    )


def _quote_node(q: Quote) -> dict[str, Any]:
    return _compact(
        {
            "@id": node_id("quote", q.id),
            "@type": "Quotation",
            "text": q.text,
            "creator": _ref("entity", q.speaker_id) if q.speaker_id else None,
            "newskb:speakerDescription": q.speaker_description,  # "a spokesperson"
            "newskb:channel": q.channel,
            "newskb:direct": q.direct,
            **_span(q),
        }
    )


def entity_node(bundle: EntityBundle) -> dict[str, Any]:
    e: Entity = bundle.entity
    return _compact(
        {
            "@id": node_id("entity", e.id),
            "@type": SCHEMA_TYPES.get(e.type, "Thing"),
            "name": e.name,
            "alternateName": sorted({a.alias for a in e.aliases} - {e.name}),
            "description": e.description,
            "sameAs": f"https://www.wikidata.org/wiki/{e.wikidata_id}" if e.wikidata_id else None,
            "newskb:entityType": e.type,
            "newskb:countryCode": e.country_code,
            "newskb:standsFor": _ref("entity", e.stands_for_id) if e.stands_for_id else None,
            "newskb:mentionCount": bundle.stats.mentions,
            "newskb:articleCount": bundle.stats.articles,
        }
    )


def event_node(event: Event) -> dict[str, Any]:
    return _compact(
        {
            "@id": node_id("event", event.id),
            "@type": "Event",
            "name": event.summary,
            "startDate": event.date_start.isoformat() if event.date_start else None,
            "endDate": event.date_end.isoformat() if event.date_end else None,
            "location": _ref("entity", event.location_id) if event.location_id else None,
            "newskb:nameEntity": (
                _ref("entity", event.name_entity_id) if event.name_entity_id else None
            ),
            # schema.org's Role pattern: the participant, qualified by its role.
            "attendee": [
                {"@type": "Role", "roleName": p.role, "attendee": _ref("entity", p.entity_id)}
                for p in sorted(event.participants, key=lambda p: (p.entity_id, p.role))
            ],
            "subjectOf": [
                _ref("article", i) for i in sorted({v.article_id for v in event.evidence})
            ],
            "newskb:eventType": event.type,
            "newskb:trigger": event.trigger,
            "newskb:status": event.status,
            "newskb:datePrecision": event.date_precision,
            "newskb:evidence": [
                {
                    "newskb:article": _ref("article", v.article_id),
                    "newskb:text": v.text,
                    "newskb:start": v.start,
                    "newskb:end": v.end,
                    "newskb:zone": v.zone,
                    "newskb:main": v.main,  # the article reports it as its main event
                }
                for v in sorted(event.evidence, key=lambda v: v.id)
            ],
        }
    )


def _article_ids(event: Event) -> list[int]:
    return sorted({v.article_id for v in event.evidence})


def embeddable(encoded: str) -> str:
    """JSON that can sit inside an HTML ``<script type="application/ld+json">`` element.

    A text that holds ``</script>`` (or ``<!--``) would end or derail that element: ``</``
    becomes ``<\\/`` and ``<!--`` becomes ``\\u003c!--``, escapes that decode to the very same
    strings. ``<`` only ever occurs inside JSON strings, so nothing else changes.
    """
    return encoded.replace("</", "<\\/").replace("<!--", "\\u003c!--")


def iter_document(session: Session, *, batch_size: int) -> Iterator[str]:
    """One JSON document, written node by node: ``{"@context": ..., "@graph": [...]}``."""
    yield '{"@context": ' + json.dumps(CONTEXT) + ', "@graph": [\n'
    separator = ""
    nodes = _nodes(session, batch_size)
    for node in nodes:
        yield separator + embeddable(json.dumps(node, ensure_ascii=False))
        separator = ",\n"
    yield "\n]}\n"


def _nodes(session: Session, batch_size: int) -> Iterator[dict[str, Any]]:
    for bundle in iter_articles(session, batch_size=batch_size):
        yield article_node(bundle)
    for entity in iter_entities(session, batch_size=batch_size):
        yield entity_node(entity)
    for event in load_events(session, batch_size=batch_size):
        yield event_node(event)

"""FollowTheMoney entities (one JSON object per line), readable by Aleph and ``ftm`` tools.

Needs the optional ``followthemoney`` package (``pip install 'newskb[ftm]'``). Every proxy is
validated against its schema before it is written. Ids are ``make_entity_id("newskb", kind,
id...)``, so they are stable across exports. The mapping, and what FtM cannot hold:

- person → Person; organization and group → Organization; country → Territory; place →
  Address; named event → Event; weapon, product and work → Asset; other → LegalEntity. Each carries
  ``proof``: the Articles that mention it.
- article → Article (title, bodyText, publishedAt, sourceUrl, author, publisher, language,
  summary, keywords, processingAgent, and the names of the people, organizations, places and
  countries it mentions).
- mentions → one Mention per (article, entity), its ``name`` the surface forms. FtM's
  ``resolved`` must be a LegalEntity, so only people, organizations, groups and ``other`` get
  Mentions; places, countries, weapons and products are tied to articles by ``proof``. FtM has
  no character offsets: spans are in the JSON Lines and JSON-LD exports only.
- events → Event (name = summary, dates, location, involved) and one UnknownLink per
  participant carrying its role (``buyer``, ``seller``...), for any entity type.
- roles → Position + Occupancy (its description = the role's qualifier: "former", "acting");
  quotes → Note (entity = the speaker, description = the text).
- timexes and amounts have no FtM schema and are left out.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from followthemoney import EntityProxy, model
from followthemoney.exc import InvalidData
from followthemoney.util import make_entity_id
from sqlalchemy.orm import Session

from app.db.models import Article, Entity, Event, Quote, Role
from app.kb.export.loader import ArticleBundle, EntityBundle, iter_articles, iter_entities
from app.kb.export.loader import iter_events as load_events

SCHEMATA = {
    "person": "Person",
    "organization": "Organization",
    "group": "Organization",
    "country": "Territory",
    "place": "Address",
    "event": "Event",
    "weapon": "Asset",
    "product": "Asset",
    "work": "Asset",
    "other": "LegalEntity",
}
MENTIONED = {
    "person": "peopleMentioned",
    "organization": "companiesMentioned",
    "group": "companiesMentioned",
    "place": "locationMentioned",
    "country": "locationMentioned",
}
LEGAL_ENTITY = model.get("LegalEntity")


def ftm_id(kind: str, *parts: int | str) -> str:
    entity_id: str | None = make_entity_id("newskb", kind, *(str(p) for p in parts))
    assert entity_id is not None  # only None when every part is empty
    return entity_id


def schema_for(entity_type: str) -> str:
    return SCHEMATA.get(entity_type, "LegalEntity")


def resolvable(entity_type: str) -> bool:
    """Whether a Mention's ``resolved`` (a LegalEntity) may point at this type."""
    schema = model.get(schema_for(entity_type))
    return schema is not None and LEGAL_ENTITY is not None and schema.is_a(LEGAL_ENTITY)


def _proxy(schema: str, id_: str, props: dict[str, Any]) -> EntityProxy:
    proxy = model.make_entity(schema)
    proxy.id = id_
    for prop, values in props.items():
        if values is not None and values != []:
            limit = proxy.schema.properties[prop].type.max_length
            proxy.add(prop, [_fit(v, limit) for v in _as_list(values)])
    return proxy


def _as_list(values: Any) -> list[Any]:
    return list(values) if isinstance(values, list | tuple | set) else [values]


def _fit(value: Any, limit: int) -> Any:
    """FtM refuses values over a type's length (384 for a name, 65,000 for a body): cut them,
    so a curator's long alias or a very long article still exports; JSON Lines keeps it whole."""
    return value[:limit] if isinstance(value, str) else value


def validate(proxy: EntityProxy) -> None:
    """Schema validation, plus the required properties FtM's ``validate`` only checks when
    present; raises ``InvalidData`` (a bug of ours, not bad input)."""
    proxy.schema.validate({"properties": proxy.properties})
    if missing := [name for name in proxy.schema.required if not proxy.has(name)]:
        raise InvalidData(f"{proxy.schema.name} {proxy.id}: missing {', '.join(missing)}")


def _line(proxy: EntityProxy) -> str:
    validate(proxy)
    return json.dumps(proxy.to_dict(), ensure_ascii=False, sort_keys=True) + "\n"


def article_proxies(bundle: ArticleBundle, positions: set[str]) -> Iterator[EntityProxy]:
    a: Article = bundle.article
    article_id = ftm_id("article", a.id)
    mentioned: dict[str, list[str]] = defaultdict(list)
    by_entity: dict[int, tuple[Entity, list[str]]] = {}
    for m in sorted(a.mentions, key=lambda m: (m.zone, m.zone_index, m.start, m.id)):
        entity, forms = by_entity.setdefault(m.entity_id, (m.entity, []))
        forms.append(m.text)
        if prop := MENTIONED.get(entity.type):
            mentioned[prop].append(entity.name)
    countries = [e.country_code for e, _ in by_entity.values() if e.type == "country"]
    yield _proxy(
        "Article",
        article_id,
        {
            "title": a.title,
            "bodyText": a.body,
            "publishedAt": a.published_at.isoformat() if a.published_at else None,
            "sourceUrl": a.url,
            "author": a.authors,
            "publisher": a.source.name if a.source else None,
            "language": a.language,
            "summary": a.teaser,
            "keywords": a.tags,
            "processingAgent": f"newskb {a.extractor_version}",
            "detectedCountry": [c for c in countries if c],
            **mentioned,
        },
    )
    for entity, forms in by_entity.values():
        if resolvable(entity.type):
            yield _proxy(
                "Mention",
                ftm_id("mention", a.id, entity.id),
                {
                    "name": list(dict.fromkeys(forms)),
                    "document": article_id,
                    "resolved": ftm_id("entity", entity.id),
                    "detectedSchema": schema_for(entity.type),
                },
            )
    for role in sorted(a.roles, key=lambda r: r.id):
        yield from _role_proxies(role, article_id, positions)
    for quote in sorted(a.quotes, key=lambda q: q.id):
        yield _quote_proxy(quote, article_id, a.url)


def _role_proxies(role: Role, article_id: str, positions: set[str]) -> Iterator[EntityProxy]:
    of = role.of
    position_id = ftm_id("position", role.title.casefold(), of.id if of else "")
    if position_id not in positions:  # one Position per (title, of), however many holders
        positions.add(position_id)
        yield _proxy(
            "Position",
            position_id,
            {
                "name": f"{role.title}, {of.name}" if of else role.title,
                "organization": (
                    ftm_id("entity", of.id)
                    if of and schema_for(of.type) == "Organization"
                    else None
                ),
                "country": of.country_code if of else None,
            },
        )
    yield _proxy(
        "Occupancy",
        ftm_id("role", role.id),
        {
            "holder": ftm_id("entity", role.person_id),
            "post": position_id,
            "proof": article_id,
            "description": role.qualifier,  # "former", "acting"...: the post is the title's
        },
    )


def _quote_proxy(quote: Quote, article_id: str, url: str | None) -> EntityProxy:
    return _proxy(
        "Note",
        ftm_id("quote", quote.id),
        {
            "description": quote.text,
            "entity": ftm_id("entity", quote.speaker_id) if quote.speaker_id else None,
            "publisher": quote.channel,
            "proof": article_id,
            "sourceUrl": url,
        },
    )


def entity_proxy(bundle: EntityBundle) -> EntityProxy:
    e = bundle.entity
    schema = schema_for(e.type)
    country = e.country_code or (e.stands_for.country_code if e.stands_for else None)
    props: dict[str, Any] = {
        "name": e.name,
        "alias": sorted({a.alias for a in e.aliases} - {e.name}),
        "description": e.description,
        "wikidataId": e.wikidata_id,
        "country": country,
        "proof": [ftm_id("article", i) for i in bundle.stats.article_ids],
    }
    if schema == "Address":
        props["full"] = e.name
    return _proxy(schema, ftm_id("entity", e.id), props)


def event_proxies(event: Event) -> Iterator[EntityProxy]:
    event_id = ftm_id("event", event.id)
    location = event.location
    participants = sorted(event.participants, key=lambda p: (p.entity_id, p.role))
    yield _proxy(
        "Event",
        event_id,
        {
            "name": event.summary,
            "summary": event.summary,
            "description": f"{event.type} ({event.status})",
            "keywords": [event.type, event.status],
            "startDate": event.date_start.isoformat() if event.date_start else None,
            "endDate": event.date_end.isoformat() if event.date_end else None,
            "location": location.name if location else None,
            "addressEntity": (
                ftm_id("entity", location.id)
                if location and schema_for(location.type) == "Address"
                else None
            ),
            "country": location.country_code if location else None,
            "involved": [
                ftm_id("entity", p.entity_id) for p in participants if resolvable(p.entity.type)
            ],
            "proof": [ftm_id("article", i) for i in sorted({v.article_id for v in event.evidence})],
        },
    )
    for p in participants:
        yield _proxy(
            "UnknownLink",
            ftm_id("participant", event.id, p.entity_id, p.role),
            {"subject": ftm_id("entity", p.entity_id), "object": event_id, "role": p.role},
        )


def iter_lines(session: Session, *, batch_size: int) -> Iterator[str]:
    positions: set[str] = set()
    for bundle in iter_articles(session, batch_size=batch_size):
        for proxy in article_proxies(bundle, positions):
            yield _line(proxy)
    for entity in iter_entities(session, batch_size=batch_size):
        yield _line(entity_proxy(entity))
    for event in load_events(session, batch_size=batch_size):
        for proxy in event_proxies(event):
            yield _line(proxy)

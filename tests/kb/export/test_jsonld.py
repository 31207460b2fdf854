"""JSON-LD export, read back offline with rdflib and pyld: nothing lost, schema.org terms."""

import json
from typing import Any

import pytest
from pyld import jsonld
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import (
    Article,
    Entity,
    Event,
    EventEvidence,
    EventParticipant,
    Mention,
    Quote,
    Role,
)
from app.kb.export import stream_export

SDO = Namespace("http://schema.org/")
NEWSKB = Namespace("https://newskb.dev/ns#")


@pytest.fixture
def text(session: Session) -> str:
    return "".join(stream_export(session, "jsonld", batch_size=4))


def no_network(url: str, options: dict[str, Any]) -> dict[str, Any]:
    raise AssertionError(f"tried to fetch {url}")


@pytest.fixture
def graph(text: str) -> Graph:
    """pyld turns the JSON-LD into RDF, rdflib loads the triples (rdflib's own JSON-LD
    reader warns about its deprecated ConjunctiveGraph internals, an error under pytest)."""
    quads = jsonld.to_rdf(
        json.loads(text), {"format": "application/n-quads", "documentLoader": no_network}
    )
    return Graph().parse(data=quads, format="nt")


def _uri(kind: str, id_: int) -> URIRef:
    return URIRef(f"urn:newskb:{kind}:{id_}")


def _pairs(session: Session, *columns: Any) -> set[tuple[int, ...]]:
    return {tuple(row) for row in session.execute(select(*columns))}


def test_articles_entities_and_events_are_typed_nodes(session: Session, graph: Graph) -> None:
    articles = {_uri("article", i) for i in session.scalars(select(Article.id))}
    assert len(articles) == 6
    assert set(graph.subjects(RDF.type, SDO.NewsArticle)) == articles
    entities = {_uri("entity", i) for i in session.scalars(select(Entity.id))}
    typed = {s for s in graph.subjects(RDF.type, None) if str(s).startswith("urn:newskb:entity:")}
    assert typed == entities
    events = {_uri("event", i) for i in session.scalars(select(Event.id))}
    assert events
    assert {s for s in graph.subjects(RDF.type, SDO.Event) if s in events} == events
    person = session.scalars(select(Entity).where(Entity.type == "person").limit(1)).one()
    assert (_uri("entity", person.id), RDF.type, SDO.Person) in graph
    assert (_uri("entity", person.id), SDO.name, Literal(person.name)) in graph


def test_mentions_and_about_link_articles_to_entities_and_events(
    session: Session, graph: Graph
) -> None:
    mentioned = _pairs(session, Mention.article_id, Mention.entity_id)
    assert {
        (int(a.split(":")[-1]), int(e.split(":")[-1]))
        for a, e in graph.subject_objects(SDO.mentions)
    } == mentioned
    reported = _pairs(session, EventEvidence.article_id, EventEvidence.event_id)
    assert {
        (int(a.split(":")[-1]), int(e.split(":")[-1])) for a, e in graph.subject_objects(SDO.about)
    } == reported


def test_every_mention_keeps_its_span(session: Session, graph: Graph) -> None:
    columns = (Mention.article_id, Mention.entity_id, Mention.zone, Mention.start, Mention.end)
    stored = sorted(
        (f"urn:newskb:article:{a}", f"urn:newskb:entity:{e}", zone, start, end)
        for a, e, zone, start, end in session.execute(select(*columns))
    )
    exported = sorted(
        (
            str(article),
            str(graph.value(node, NEWSKB.entity)),
            str(graph.value(node, NEWSKB.zone)),
            graph.value(node, NEWSKB.start).toPython(),  # type: ignore[union-attr]
            graph.value(node, NEWSKB.end).toPython(),  # type: ignore[union-attr]
        )
        for article, node in graph.subject_objects(NEWSKB.mention)
    )
    assert len(stored) > 100
    assert exported == stored


def test_participants_quotes_and_dates_survive(session: Session, graph: Graph) -> None:
    participants = _pairs(
        session, EventParticipant.event_id, EventParticipant.entity_id, EventParticipant.role
    )
    exported = {
        (
            int(str(event).split(":")[-1]),
            int(str(graph.value(role, SDO.attendee)).split(":")[-1]),
            str(graph.value(role, SDO.roleName)),
        )
        for event, role in graph.subject_objects(SDO.attendee)
        if str(event).startswith("urn:newskb:event:")
    }
    assert exported == participants
    quotes = {_uri("quote", i) for i in session.scalars(select(Quote.id))}
    assert set(graph.subjects(RDF.type, SDO.Quotation)) == quotes
    seed = session.scalars(select(Article).order_by(Article.id).limit(1)).one()
    published = graph.value(_uri("article", seed.id), SDO.datePublished)
    assert published is not None
    assert published.toPython() == seed.published_at  # type: ignore[union-attr]


def test_roles_triggers_and_main_events_survive(session: Session, graph: Graph) -> None:
    roles = {
        (f"urn:newskb:entity:{p}", title, qualifier)
        for p, title, qualifier in session.execute(
            select(Role.person_id, Role.title, Role.qualifier)
        )
    }
    assert roles
    exported = {
        (
            str(graph.value(node, NEWSKB.person)),
            str(graph.value(node, NEWSKB.title)),
            q.toPython() if (q := graph.value(node, NEWSKB.qualifier)) is not None else None,
        )
        for node in graph.objects(None, NEWSKB.role)
    }
    assert exported == roles
    triggers = {
        (str(_uri("event", i)), t)
        for i, t in session.execute(select(Event.id, Event.trigger))
        if t is not None
    }
    assert triggers
    assert {(str(e), str(t)) for e, t in graph.subject_objects(NEWSKB.trigger)} == triggers
    main = _pairs(session, EventEvidence.event_id, EventEvidence.main)
    assert {
        (int(str(event).split(":")[-1]), bool(graph.value(v, NEWSKB.main).toPython()))  # type: ignore[union-attr]
        for event, v in graph.subject_objects(NEWSKB.evidence)
    } == {(e, bool(m)) for e, m in main}


def test_pyld_expands_it_without_the_network(session: Session, text: str) -> None:
    expanded = jsonld.expand(json.loads(text), {"documentLoader": no_network})
    types = {t for node in expanded for t in node.get("@type", [])}
    assert "http://schema.org/NewsArticle" in types
    assert all(t.startswith(("http://schema.org/", "https://newskb.dev/ns#")) for t in types)
    count = sum(1 for _ in session.scalars(select(Article.id)))
    count += sum(1 for _ in session.scalars(select(Entity.id)))
    count += sum(1 for _ in session.scalars(select(Event.id)))
    assert len(expanded) == count


def test_no_string_can_end_a_script_element(session: Session) -> None:
    """The document can be embedded in ``<script type="application/ld+json">`` as it is."""
    hostile = "</script><script>alert(1)</SCRIPT><!-- x"
    article = session.scalars(select(Article).order_by(Article.id)).first()
    assert article is not None
    article.title = hostile
    session.flush()
    text = "".join(stream_export(session, "jsonld", batch_size=4))
    assert "</" not in text and "<!--" not in text
    headlines = [node.get("headline") for node in json.loads(text)["@graph"]]
    assert hostile in headlines  # escaped in the document, the same string once parsed

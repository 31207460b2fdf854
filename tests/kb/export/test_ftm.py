"""FollowTheMoney export, read back and validated with followthemoney: ids and links match."""

import json
import sys
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Article, Entity, Event, EventParticipant, Mention, Quote, Role
from app.errors import ExportUnavailable
from app.kb.export import stream_export

ftm = pytest.importorskip("followthemoney", reason="the ftm export needs the ftm extra")
from app.kb.export.ftm import ftm_id, resolvable, schema_for, validate  # noqa: E402


@pytest.fixture
def proxies(session: Session) -> list["ftm.EntityProxy"]:
    lines = "".join(stream_export(session, "ftm", batch_size=4)).splitlines()
    loaded = [ftm.model.get_proxy(json.loads(line), cleaned=False) for line in lines]
    for proxy in loaded:
        validate(proxy)
    return loaded


def _of(proxies: list["ftm.EntityProxy"], schema: str) -> dict[str, "ftm.EntityProxy"]:
    return {p.id: p for p in proxies if p.schema.name == schema}


def test_every_id_is_unique_and_every_reference_resolves(proxies: list["ftm.EntityProxy"]) -> None:
    ids = Counter(p.id for p in proxies)
    assert max(ids.values()) == 1
    for proxy in proxies:
        for prop, value in proxy.itervalues():
            if prop.type == ftm.registry.entity:
                assert value in ids, (proxy.schema.name, prop.name)


def test_articles_keep_their_text_and_metadata(
    session: Session, proxies: list["ftm.EntityProxy"]
) -> None:
    articles = _of(proxies, "Article")
    stored = list(session.scalars(select(Article)))
    assert set(articles) == {ftm_id("article", a.id) for a in stored}
    for article in stored:
        proxy = articles[ftm_id("article", article.id)]
        assert proxy.get("bodyText") == [article.body]
        assert proxy.get("title") == [article.title]
        assert proxy.get("sourceUrl") == [article.url]
    assert any(p.get("publishedAt") for p in articles.values())


def test_every_entity_is_exported_with_its_schema_and_proof(
    session: Session, proxies: list["ftm.EntityProxy"]
) -> None:
    by_id = {p.id: p for p in proxies}
    entities = list(session.scalars(select(Entity)))
    assert len(entities) > 50
    for entity in entities:
        proxy = by_id[ftm_id("entity", entity.id)]
        assert proxy.schema.name == schema_for(entity.type)
        assert entity.name in proxy.get("name")
    articles_of = {
        (ftm_id("entity", e), ftm_id("article", a))
        for e, a in session.execute(select(Mention.entity_id, Mention.article_id))
    }
    proofs = {
        (entity_id, doc)
        for entity_id in (ftm_id("entity", e.id) for e in entities)
        for doc in by_id[entity_id].get("proof")
    }
    assert proofs == articles_of


def test_mentions_resolve_people_and_organizations(
    session: Session, proxies: list["ftm.EntityProxy"]
) -> None:
    expected = {
        (ftm_id("article", a), ftm_id("entity", e))
        for a, e, t in session.execute(
            select(Mention.article_id, Mention.entity_id, Entity.type).join(Entity)
        )
        if resolvable(t)
    }
    mentions = _of(proxies, "Mention").values()
    assert {(m.first("document"), m.first("resolved")) for m in mentions} == expected
    assert len(expected) > 20


def test_events_participants_roles_and_quotes(
    session: Session, proxies: list["ftm.EntityProxy"]
) -> None:
    events = _of(proxies, "Event")
    stored = list(session.scalars(select(Event)))
    assert stored
    assert {ftm_id("event", e.id) for e in stored} <= set(events)
    links = {
        (p.first("object"), p.first("subject"), p.first("role"))
        for p in _of(proxies, "UnknownLink").values()
    }
    assert links == {
        (ftm_id("event", ev), ftm_id("entity", en), role)
        for ev, en, role in session.execute(
            select(EventParticipant.event_id, EventParticipant.entity_id, EventParticipant.role)
        )
    }
    occupancies = _of(proxies, "Occupancy")
    assert set(occupancies) == {ftm_id("role", i) for i in session.scalars(select(Role.id))}
    notes = _of(proxies, "Note")
    assert set(notes) == {ftm_id("quote", i) for i in session.scalars(select(Quote.id))}
    assert all(n.get("description") for n in notes.values())


def test_without_followthemoney_the_format_is_refused_up_front(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "followthemoney", None)
    with pytest.raises(ExportUnavailable, match=r"newskb\[ftm\]"):
        stream_export(session, "ftm")


def test_values_over_ftm_length_limits_are_cut_not_refused(session: Session) -> None:
    entity = session.scalars(select(Entity).order_by(Entity.id)).first()
    article = session.scalars(select(Article).order_by(Article.id)).first()
    assert entity is not None and article is not None
    entity.name = "N" * 500  # a curator may set up to 500 characters; FtM names stop at 384
    article.body = article.body + " word" * 20_000  # over FtM's 65,000 for a body
    session.flush()
    lines = "".join(stream_export(session, "ftm")).splitlines()
    loaded = {p["id"]: p for p in map(json.loads, lines)}
    exported = loaded[ftm_id("entity", entity.id)]
    assert exported["properties"]["name"] == ["N" * 384]
    body = loaded[ftm_id("article", article.id)]["properties"]["bodyText"][0]
    assert len(body) == 65_000 and article.body.startswith(body)

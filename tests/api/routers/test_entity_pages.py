"""The entity page's role summary, the role list, the bounded `related`, the timeline pages."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Entity
from app.extract import types as x
from app.extract.pipeline import EXTRACTOR_VERSION, content_hash
from app.kb import entities as kb_entities
from app.kb import ingest as kb_ingest
from tests.factories import entity, meeting_article, span_of

START = datetime(2021, 9, 1, 9, tzinfo=UTC)


def role_article(
    n: int,
    title: str,
    *,
    of: str | None = "Russia",
    times: int = 1,
    qualifier: str | None = None,
) -> x.ExtractedArticle:
    """Article ``n`` (published on day ``n``) stating ``times`` that Putin holds ``title``."""
    lines = [
        f"Vladimir Putin, {title} of {of or 'nothing'}, spoke ({n}.{i})." for i in range(times)
    ]
    body = " ".join(lines)
    parsed = x.ParsedArticle(
        body=body,
        title=f"Report {n}",
        published_at=START + timedelta(days=n),
        source_name="Test Wire",
    )
    entities = [entity(body, "p", "person", "Vladimir Putin")]
    if of:
        entities.append(entity(body, "r", "country", of))
    roles = tuple(
        x.Role("p", title, "r" if of else None, span_of(body, line), line, qualifier=qualifier)
        for line in lines
    )
    return x.ExtractedArticle(
        parsed=parsed,
        content_hash=content_hash(parsed),
        extractor_version=EXTRACTOR_VERSION,
        entities=tuple(entities),
        roles=roles,
    )


def putin(session: Session) -> int:
    return session.scalars(select(Entity.id).where(Entity.name == "Vladimir Putin")).one()


def get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def stated(session: Session) -> int:
    """President of Russia in 3 articles (4 statements), Chairman in 1."""
    kb_ingest.ingest_article(session, role_article(1, "President"))
    kb_ingest.ingest_article(session, role_article(2, "President", times=2))
    kb_ingest.ingest_article(session, role_article(3, "Chairman", of=None))
    kb_ingest.ingest_article(session, role_article(4, "President"))
    return putin(session)


def test_entity_page_lists_each_role_once_most_stated_first(
    client: TestClient, stated: int
) -> None:
    page = get(client, f"/v1/entities/{stated}")
    roles = page["roles"]
    assert [(r["title"], r["of"] and r["of"]["name"]) for r in roles] == [
        ("President", "Russia"),
        ("Chairman", None),
    ]
    assert [(r["evidence_count"], r["article_count"]) for r in roles] == [(4, 3), (1, 1)]
    assert page["role_count"] == 2
    newest = get(client, f"/v1/entities/{stated}/roles", title="President", limit=1)["items"][0]
    assert roles[0]["evidence"] == newest["evidence"]
    assert roles[0]["evidence"]["text"] == "Vladimir Putin, President of Russia, spoke (4.0)."


def test_a_former_role_is_a_role_of_its_own(client: TestClient, session: Session) -> None:
    """A former president and a president are two roles, each with its qualifier."""
    kb_ingest.ingest_article(session, role_article(1, "President"))
    kb_ingest.ingest_article(session, role_article(2, "President", qualifier="former", times=2))
    person = putin(session)
    page = get(client, f"/v1/entities/{person}")
    assert [(r["qualifier"], r["title"], r["evidence_count"]) for r in page["roles"]] == [
        ("former", "President", 2),
        (None, "President", 1),
    ]
    assert page["role_count"] == 2
    items = get(client, f"/v1/entities/{person}/roles")["items"]
    assert sorted((r["qualifier"] or "") for r in items) == ["", "former", "former"]


def test_entity_page_caps_its_roles(
    client: TestClient, stated: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kb_entities, "ROLE_SUMMARY_LIMIT", 1)
    page = get(client, f"/v1/entities/{stated}")
    assert [r["title"] for r in page["roles"]] == ["President"]
    assert page["role_count"] == 2


def test_role_list_pages_through_every_statement_newest_first(
    client: TestClient, stated: int
) -> None:
    everything = get(client, f"/v1/entities/{stated}/roles", limit=100)["items"]
    assert len(everything) == 5
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = get(client, f"/v1/entities/{stated}/roles", **params)
        seen += page["items"]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == everything
    days = [r["evidence"]["article_id"] for r in everything]
    assert days == sorted(days, reverse=True)


def test_role_list_filters_by_title_and_of(
    client: TestClient, session: Session, stated: int
) -> None:
    presidents = get(client, f"/v1/entities/{stated}/roles", title="president")["items"]
    assert len(presidents) == 4 and {r["title"] for r in presidents} == {"President"}
    russia = session.scalars(select(Entity.id).where(Entity.name == "Russia")).one()
    of_russia = get(client, f"/v1/entities/{stated}/roles", of=russia)["items"]
    assert {r["title"] for r in of_russia} == {"President"}


def test_role_list_cursor_belongs_to_its_filter(client: TestClient, stated: int) -> None:
    first = get(client, f"/v1/entities/{stated}/roles", limit=1)
    response = client.get(
        f"/v1/entities/{stated}/roles", params={"title": "Chairman", "cursor": first["next_cursor"]}
    )
    assert response.status_code == 400


def test_roles_of_an_unknown_entity_is_404(client: TestClient) -> None:
    assert client.get("/v1/entities/2000000000/roles").status_code == 404


def test_an_entity_without_roles_has_an_empty_summary(client: TestClient, stated: int) -> None:
    russia = get(client, "/v1/entities", q="russia")["items"][0]["id"]
    page = get(client, f"/v1/entities/{russia}")
    assert page["roles"] == [] and page["role_count"] == 0


def envoy_story(n: int, envoy: str) -> x.ExtractedArticle:
    body = f"Vladimir Putin met {envoy} in Russia."
    parsed = x.ParsedArticle(
        body=body, title=f"Talks {n}", published_at=START + timedelta(days=n), source_name="Wire"
    )
    return x.ExtractedArticle(
        parsed=parsed,
        content_hash=content_hash(parsed),
        extractor_version=EXTRACTOR_VERSION,
        entities=(
            entity(body, "p", "person", "Vladimir Putin"),
            entity(body, "e", "person", envoy),
            entity(body, "r", "country", "Russia"),
        ),
    )


@pytest.fixture
def talks(session: Session) -> int:
    # Ingested newest first: the window follows publication dates, not ingest order.
    for n, envoy in [(3, "Carla Newest"), (1, "Anna Oldest"), (2, "Berta Middle")]:
        kb_ingest.ingest_article(session, envoy_story(n, envoy))
    return putin(session)


def test_related_counts_every_article_within_the_window(client: TestClient, talks: int) -> None:
    items = get(client, f"/v1/entities/{talks}/related")["items"]
    shared = {e["name"]: e["shared_articles"] for e in items}
    assert shared == {"Russia": 3, "Anna Oldest": 1, "Berta Middle": 1, "Carla Newest": 1}


def test_related_reads_only_the_newest_articles_of_the_entity(
    client: TestClient, talks: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kb_entities, "RELATED_WINDOW", 2)
    items = get(client, f"/v1/entities/{talks}/related")["items"]
    shared = {e["name"]: e["shared_articles"] for e in items}
    assert shared == {"Russia": 2, "Berta Middle": 1, "Carla Newest": 1}
    assert items[0]["name"] == "Russia"


def test_related_pages_and_filters_by_type(client: TestClient, talks: int) -> None:
    first = get(client, f"/v1/entities/{talks}/related", limit=2)
    rest = get(client, f"/v1/entities/{talks}/related", limit=2, cursor=first["next_cursor"])
    names = [e["name"] for e in first["items"] + rest["items"]]
    # Ties by id: the envoys in the order they were first stored.
    assert names == ["Russia", "Carla Newest", "Anna Oldest", "Berta Middle"]
    people = get(client, f"/v1/entities/{talks}/related", type="person")["items"]
    assert {e["type"] for e in people} == {"person"} and len(people) == 3


def test_related_documents_its_window(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/entities/{entity_id}/related"]
    assert f"{kb_entities.RELATED_WINDOW:,} newest articles" in operation["get"]["description"]


def same_day_article(body: str, published: datetime | None) -> x.ExtractedArticle:
    parsed = x.ParsedArticle(body=body, title=body[:12], published_at=published, source_name="W")
    return x.ExtractedArticle(
        parsed=parsed,
        content_hash=content_hash(parsed),
        extractor_version=EXTRACTOR_VERSION,
        entities=(entity(body, "p", "person", "Vladimir Putin"),),
    )


def test_timeline_pages_one_by_one_in_day_kind_id_order(
    client: TestClient, session: Session
) -> None:
    # The meeting happened on 2021-09-09, reported on 09-12; two more articles on 09-09.
    kb_ingest.ingest_article(session, meeting_article())
    kb_ingest.ingest_article(
        session, same_day_article("Vladimir Putin flew.", START + timedelta(8))
    )
    kb_ingest.ingest_article(session, same_day_article("Vladimir Putin sat.", START + timedelta(8)))
    kb_ingest.ingest_article(session, same_day_article("Vladimir Putin ate.", None))  # undated
    entity_id = putin(session)
    everything = get(client, f"/v1/entities/{entity_id}/timeline", limit=100)["items"]
    keys = [(i["date"], i["kind"], (i["article"] or i["event"])["id"]) for i in everything]
    assert keys == sorted(keys)
    assert [(d, k) for d, k, _ in keys] == [
        ("2021-09-09", "article"),
        ("2021-09-09", "article"),
        ("2021-09-09", "event"),
        ("2021-09-12", "article"),
    ]
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1}
    while True:
        page = get(client, f"/v1/entities/{entity_id}/timeline", **params)
        seen += page["items"]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == everything


def test_timeline_refuses_a_foreign_cursor(client: TestClient, session: Session) -> None:
    kb_ingest.ingest_article(session, meeting_article())
    entity_id = putin(session)
    other = get(client, "/v1/entities", limit=1)["next_cursor"]
    response = client.get(f"/v1/entities/{entity_id}/timeline", params={"cursor": other})
    assert response.status_code == 400


def test_entity_no_longer_mentioned_has_no_last_seen_and_sorts_last(
    client: TestClient, session: Session
) -> None:
    body = "Angela Merkel spoke."
    parsed = x.ParsedArticle(body=body, title="Merkel", published_at=START, source_name="W")
    gone = x.ExtractedArticle(
        parsed=parsed,
        content_hash=content_hash(parsed),
        extractor_version=EXTRACTOR_VERSION,
        entities=(entity(body, "m", "person", "Angela Merkel"),),
    )
    kb_ingest.delete_article(session, kb_ingest.ingest_article(session, gone).article.id)
    kb_ingest.ingest_article(session, meeting_article())
    items = get(client, "/v1/entities", sort="-last_seen")["items"]
    assert items[-1]["name"] == "Angela Merkel"
    assert (items[-1]["last_seen"], items[-1]["mention_count"]) == (None, 0)
    assert all(i["last_seen"].startswith("2021-09-12") for i in items[:-1])
    page = get(client, f"/v1/entities/{items[-1]['id']}")
    assert (page["last_seen"], page["article_count"]) == (None, 0)


def test_entity_page_documents_its_cap(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    cap = f"at most {kb_entities.ROLE_SUMMARY_LIMIT}"
    assert cap in spec["paths"]["/v1/entities/{entity_id}"]["get"]["description"]
    assert cap in spec["components"]["schemas"]["EntityRead"]["properties"]["roles"]["description"]

"""GET /v1/changes: created, updated, merged and deleted articles and entities, in order."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.kb import ingest as kb_ingest
from tests.factories import meeting_article


def feed(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/changes", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def actions(page: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["kind"], c["action"]) for c in page["items"]]


def test_ingest_records_the_article_and_its_new_entities(
    client: TestClient, session: Session
) -> None:
    start = feed(client)["resume_cursor"]
    article = kb_ingest.ingest_article(session, meeting_article()).article
    page = feed(client, since=start) if start else feed(client)
    assert actions(page) == [("article", "created")] + [("entity", "created")] * 3
    assert page["items"][0]["id"] == article.id
    assert page["items"][0]["href"] == f"/v1/articles/{article.id}"


def test_resume_cursor_returns_only_later_changes(client: TestClient, session: Session) -> None:
    kb_ingest.ingest_article(session, meeting_article())
    resume = feed(client)["resume_cursor"]
    assert feed(client, since=resume)["items"] == []
    kb_ingest.ingest_article(session, meeting_article(meeting_article().parsed.body + " Again."))
    later = feed(client, since=resume)
    assert actions(later) == [("article", "created")] + [("entity", "updated")] * 3


def test_delete_leaves_a_tombstone(client: TestClient, session: Session) -> None:
    article = kb_ingest.ingest_article(session, meeting_article()).article
    resume = feed(client)["resume_cursor"]
    assert client.delete(f"/v1/articles/{article.id}").status_code == 204
    tombstone = feed(client, since=resume)["items"][0]
    assert (tombstone["kind"], tombstone["id"], tombstone["action"]) == (
        "article",
        article.id,
        "deleted",
    )
    assert tombstone["href"] is None


def test_curation_and_merge_are_in_the_feed(client: TestClient, session: Session) -> None:
    kb_ingest.ingest_article(session, meeting_article())
    people = client.get("/v1/entities", params={"type": "person"}).json()["items"]
    first, second = sorted(e["id"] for e in people)
    resume = feed(client)["resume_cursor"]
    client.patch(f"/v1/entities/{first}", json={"description": "x"})
    client.post(f"/v1/entities/{second}/merge", json={"into": first})
    items = feed(client, since=resume)["items"]
    assert [(c["id"], c["action"], c["merged_into"]) for c in items] == [
        (first, "updated", None),
        (second, "merged", first),
        (first, "updated", None),
    ]


def test_feed_is_in_order_and_pages(client: TestClient, session: Session) -> None:
    kb_ingest.ingest_article(session, meeting_article())
    everything = feed(client)["items"]
    first = feed(client, limit=2)
    rest = feed(client, since=first["next_cursor"])
    assert first["items"] + rest["items"] == everything
    seqs = [c["seq"] for c in everything]
    assert seqs == sorted(seqs)


def test_since_a_timestamp(client: TestClient, session: Session) -> None:
    kb_ingest.ingest_article(session, meeting_article())
    assert feed(client, since="2000-01-01T00:00:00Z")["items"]
    assert feed(client, since="2999-01-01T00:00:00Z")["items"] == []


def test_kind_filter(client: TestClient, session: Session) -> None:
    kb_ingest.ingest_article(session, meeting_article())
    assert {c["kind"] for c in feed(client, kind="entity")["items"]} == {"entity"}


def test_a_cursor_that_begins_like_a_year_is_a_cursor(client: TestClient, session: Session) -> None:
    """About one cursor in 1,700 begins with four digits, as a time does (a flaky 400 before):
    as ``since`` it reads as the same cursor does as ``cursor``."""
    kb_ingest.ingest_article(session, meeting_article())
    codec = client.app.state.cursor_codec  # type: ignore[attr-defined]
    cursor = next(
        c for i in range(1_000_000) if (c := codec.encode("changes:None", [i]))[:4].isdigit()
    )
    as_since = client.get("/v1/changes", params={"since": cursor})
    assert as_since.status_code == 200, as_since.text
    assert as_since.json()["items"] == feed(client, cursor=cursor, limit=20)["items"]


def test_bad_since_is_a_400(client: TestClient) -> None:
    assert client.get("/v1/changes", params={"since": "2021-13-45"}).status_code == 400
    assert client.get("/v1/changes", params={"since": "garbage"}).status_code == 400

"""Versions through the API: a new text at a stored URL becomes the article's current text, the
earlier one stays readable, the facts are extracted again; the same text again writes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Article, ArticleVersion, Change

URL = "https://example.org/harbour-fire"
FIRST = (
    "Fire destroys warehouse in Gdansk harbour\n\n"
    "A fire destroyed a warehouse in the port of Gdansk on Tuesday night. Firefighters from "
    "three districts fought the blaze for six hours, and nobody was hurt, the city said. "
    "Mayor Aleksandra Dulkiewicz thanked the crews and said the cause was not yet known."
)
SECOND = (
    "Fire destroys warehouse in Gdansk harbour\n\n"
    "A fire destroyed a warehouse in the port of Gdansk on Tuesday night. Firefighters from "
    "three districts fought the blaze for six hours, and nobody was hurt, the city said. "
    "Police chief Jan Kowalski said on Wednesday that an electrical fault caused the fire."
)

# Another outlet's copy of FIRST: one sentence edited.
COPY = FIRST.replace("on Tuesday night.", "on Tuesday night, officials said.")


def post(client: TestClient, text: str, url: str = URL) -> dict[str, object]:
    response = client.post("/v1/articles", json={"text": text, "url": url})
    assert response.status_code in (200, 201), response.text
    return {"status": response.status_code, **response.json()}


def names(article: dict[str, object]) -> set[str]:
    return {e["name"] for e in article["entities"]}  # type: ignore[attr-defined,index]


def test_new_text_at_the_same_url_becomes_the_next_version(client: TestClient) -> None:
    first = post(client, FIRST)
    second = post(client, SECOND)
    assert second["status"] == 200
    assert (second["id"], second["version"]) == (first["id"], 2)
    assert "electrical fault" in str(second["body"])
    assert client.get(f"/v1/articles/{first['id']}").json()["version"] == 2


def test_the_earlier_text_stays_readable(client: TestClient) -> None:
    first = post(client, FIRST)
    post(client, SECOND)
    listed = client.get(f"/v1/articles/{first['id']}/versions").json()["items"]
    assert [(v["number"], v["current"]) for v in listed] == [(1, False), (2, True)]
    assert listed[0]["replaced_at"] is not None and listed[1]["replaced_at"] is None
    old = client.get(f"/v1/articles/{first['id']}/versions/1").json()
    assert old["body"] == first["body"]
    current = client.get(f"/v1/articles/{first['id']}/versions/2").json()
    assert "electrical fault" in current["body"]


def test_facts_are_extracted_again_for_the_new_text(client: TestClient) -> None:
    first = post(client, FIRST)
    assert "Aleksandra Dulkiewicz" in names(first)
    second = post(client, SECOND)
    assert "Jan Kowalski" in names(second)
    assert "Aleksandra Dulkiewicz" not in names(second)
    # Every offset points into the new body.
    body = str(second["body"])
    mentions = client.get(f"/v1/articles/{first['id']}/mentions?limit=100").json()["items"]
    in_body = [m for m in mentions if m["zone"] == "body"]
    assert in_body and all(body[m["start"] : m["end"]] == m["text"] for m in in_body)


def test_a_new_version_is_in_the_change_feed(client: TestClient, session: Session) -> None:
    first = post(client, FIRST)
    before = session.scalar(select(func.max(Change.id)))
    post(client, SECOND)
    actions = session.scalars(
        select(Change.action).where(
            Change.kind == "article", Change.object_id == first["id"], Change.id > before
        )
    ).all()
    assert actions == ["updated"]


def test_the_same_text_again_writes_nothing(client: TestClient, session: Session) -> None:
    post(client, FIRST)
    post(client, SECOND)
    changes = session.scalar(select(func.count()).select_from(Change))
    for text in (SECOND, FIRST):  # the current text, and an earlier one
        again = post(client, text)
        assert (again["status"], again["version"]) == (200, 2)
    assert session.scalar(select(func.count()).select_from(ArticleVersion)) == 1
    assert session.scalar(select(func.count()).select_from(Article)) == 1
    assert session.scalar(select(func.count()).select_from(Change)) == changes


def test_stats_count_the_versions(client: TestClient) -> None:
    post(client, FIRST)
    post(client, SECOND)
    stats = client.get("/v1/stats").json()
    assert (stats["articles"], stats["versions"]) == (1, 1)


def test_a_missing_version_is_404(client: TestClient) -> None:
    first = post(client, FIRST)
    response = client.get(f"/v1/articles/{first['id']}/versions/2")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/articles/999999/versions").status_code == 404


def test_copy_at_another_url_answers_duplicate_of(client: TestClient) -> None:
    first = post(client, FIRST, "https://one.example/fire")
    copy = post(client, COPY, "https://two.example/fire")
    assert copy["status"] == 201
    assert copy["duplicate_of"] == first["id"]
    assert 0.5 <= float(copy["similarity"]) < 1  # type: ignore[arg-type]
    collapsed = client.get("/v1/articles?collapse=duplicates").json()["items"]
    assert [hit["id"] for hit in collapsed] == [first["id"]]
    found = client.get("/v1/search?q=warehouse&collapse=duplicates").json()["articles"]["items"]
    assert [hit["id"] for hit in found] == [first["id"]]
    assert len(client.get("/v1/search?q=warehouse").json()["articles"]["items"]) == 2


def test_a_new_version_of_a_first_copy_stays_the_first(client: TestClient) -> None:
    first = post(client, FIRST)
    copy = post(client, COPY, "https://two.example/fire")
    second = post(client, SECOND)
    assert (second["status"], second["version"], second["duplicate_of"]) == (200, 2, None)
    assert client.get(f"/v1/articles/{copy['id']}").json()["duplicate_of"] == first["id"]


def test_a_new_version_is_counted_as_a_version_in_metrics(client: TestClient) -> None:
    from tests.api.routers.test_metrics import ingests

    post(client, FIRST)
    versions, duplicates = ingests(client, "version"), ingests(client, "duplicate")
    post(client, SECOND)
    assert ingests(client, "version") == versions + 1
    assert ingests(client, "duplicate") == duplicates


def test_a_job_that_brings_a_new_text_is_done_with_the_version(client: TestClient) -> None:
    first = post(client, FIRST)
    response = client.post("/v1/jobs", json={"documents": [{"text": SECOND, "url": URL}]})
    assert response.status_code == 202
    (job,) = response.json()["items"]
    assert job["state"] == "done" and job["duplicate"] is False
    article = client.get(f"/v1/articles/{first['id']}").json()
    assert (
        (job["article_id"], job["version"])
        == (first["id"], article["version"])
        == (
            first["id"],
            2,
        )
    )
    again_batch = {"documents": [{"text": SECOND, "url": URL}]}
    (again,) = client.post("/v1/jobs", json=again_batch).json()["items"]
    assert again["duplicate"] is True and again["version"] is None  # the same text again

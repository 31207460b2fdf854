"""The /v1/watches API: save, read, pause, resume, delete; matches and the delivery log."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Watch
from app.kb import ingest as kb_ingest
from tests.api.routers.test_articles import assert_problem
from tests.factories import meeting_article

HOOK = "https://hooks.example.org/newskb"


def create(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/watches", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def ingest(session: Session, body: str) -> int:
    return kb_ingest.ingest_article(session, meeting_article(body)).article.id


def watch_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Watch)) or 0


def test_post_saves_a_watch_and_shows_its_secret_once(client: TestClient) -> None:
    response = client.post(
        "/v1/watches",
        json={
            "name": "Belarus",
            "q": "lukashenko",
            "event_types": ["meeting"],
            "webhook_url": HOOK,
        },
    )
    assert response.status_code == 201
    created = response.json()
    assert response.headers["location"].endswith(f"/v1/watches/{created['id']}")
    assert created["secret"].startswith("whsec_")
    assert created["filters"]["event_types"] == ["meeting"]
    assert (created["q"], created["webhook_url"], created["status"]) == (
        "lukashenko",
        HOOK,
        "active",
    )
    read = client.get(f"/v1/watches/{created['id']}").json()
    assert "secret" not in read
    assert read == {key: value for key, value in created.items() if key != "secret"}


def test_list_pages_with_a_cursor(client: TestClient) -> None:
    ids = [create(client, q=f"word{n}")["id"] for n in range(3)]
    first = client.get("/v1/watches?limit=2").json()
    second = client.get(f"/v1/watches?limit=2&cursor={first['next_cursor']}").json()
    assert [w["id"] for w in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None


def test_patch_pauses_resumes_and_changes_the_url(client: TestClient) -> None:
    watch_id = create(client, q="lukashenko", webhook_url=HOOK)["id"]
    paused = client.patch(f"/v1/watches/{watch_id}", json={"status": "paused"}).json()
    assert (paused["status"], paused["paused_reason"]) == ("paused", "Paused by a client.")
    assert paused["webhook_url"] == HOOK  # not sent: unchanged
    resumed = client.patch(
        f"/v1/watches/{watch_id}", json={"status": "active", "webhook_url": None}
    ).json()
    assert (resumed["status"], resumed["paused_reason"], resumed["webhook_url"]) == (
        "active",
        None,
        None,
    )


def test_delete_removes_the_watch(client: TestClient, session: Session) -> None:
    watch_id = create(client, q="lukashenko")["id"]
    assert client.delete(f"/v1/watches/{watch_id}").status_code == 204
    assert_problem(client.get(f"/v1/watches/{watch_id}"), 404)
    assert watch_count(session) == 0


def test_matches_are_pulled_with_a_resume_cursor(client: TestClient, session: Session) -> None:
    watch_id = create(client, q="lukashenko")["id"]
    first = ingest(session, "Vladimir Putin met Alexander Lukashenko in Russia on Thursday.")
    page = client.get(f"/v1/watches/{watch_id}/matches").json()
    assert [m["article"]["id"] for m in page["items"]] == [first]
    assert page["items"][0]["article"]["title"] == "Leaders meet"
    assert page["next_cursor"] is None
    second = ingest(session, "Alexander Lukashenko met Vladimir Putin in Russia on Thursday.")
    later = client.get(f"/v1/watches/{watch_id}/matches?cursor={page['resume_cursor']}").json()
    assert [m["article"]["id"] for m in later["items"]] == [second]


def test_the_delivery_log_lists_queued_deliveries(client: TestClient, session: Session) -> None:
    watch_id = create(client, q="lukashenko", webhook_url=HOOK)["id"]
    ingest(session, "Vladimir Putin met Alexander Lukashenko in Russia on Thursday.")
    [delivery] = client.get(f"/v1/watches/{watch_id}/deliveries").json()["items"]
    assert (delivery["status"], delivery["attempts"], delivery["error"]) == ("pending", 0, None)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"q": "the of and"}, 400),  # only stop words
        ({}, 422),  # nothing to look for
        ({"q": "x", "entity_types": ["spaceship"]}, 422),
        ({"q": "x", "event_types": ["picnic"]}, 422),
        ({"q": "x", "webhook_url": "ftp://hooks.example.org/x"}, 422),
        ({"q": "x", "webhook_url": "not a url"}, 422),
        ({"q": "x", "webhook_url": "http://127.0.0.1:9000/hook"}, 422),
        ({"q": "x", "webhook_url": "http://[::ffff:169.254.169.254]/latest"}, 422),
        ({"q": "x", "colour": "red"}, 422),
        ({"q": "x", "entity_ids": list(range(1, 12))}, 422),
        ({"q": "x", "entity_ids": [2**31]}, 422),  # past 32 bits: every match would fail in SQL
        ({"q": "x", "entity_ids": [0]}, 422),
    ],
)
def test_invalid_watches_are_refused_and_nothing_is_stored(
    client: TestClient, session: Session, body: dict[str, Any], status: int
) -> None:
    assert_problem(client.post("/v1/watches", json=body), status)
    assert watch_count(session) == 0


def test_a_patch_to_a_private_url_is_refused(client: TestClient) -> None:
    watch_id = create(client, q="lukashenko")["id"]
    response = client.patch(f"/v1/watches/{watch_id}", json={"webhook_url": "http://10.0.0.1/"})
    assert_problem(response, 422)
    assert client.get(f"/v1/watches/{watch_id}").json()["webhook_url"] is None


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/watches"), ("POST", "/v1/watches"), ("GET", "/v1/watches/1/matches")],
)
def test_every_route_needs_the_key(app: Any, method: str, path: str) -> None:
    with TestClient(app) as anonymous:
        response = anonymous.request(method, path, json={"q": "x"})
    assert_problem(response, 401)


def test_unknown_watch_is_404(client: TestClient) -> None:
    for path in ("/v1/watches/999", "/v1/watches/999/matches", "/v1/watches/999/deliveries"):
        assert_problem(client.get(path), 404)

"""PATCH /v1/entities/{id} and POST /v1/entities/{id}/merge; later ingests respect both."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.extract import types as x
from app.extract.pipeline import EXTRACTOR_VERSION, content_hash
from app.kb import ingest as kb_ingest
from tests.factories import entity as entity_of
from tests.factories import meeting_article

AGAIN = "Vladimir Putin met Alexander Lukashenko in Russia on Thursday, again."


def person_article(body: str, name: str) -> x.ExtractedArticle:
    parsed = x.ParsedArticle(body=body, title="Visit", source_name="Test Wire")
    return x.ExtractedArticle(
        parsed=parsed,
        content_hash=content_hash(parsed),
        extractor_version=EXTRACTOR_VERSION,
        entities=(entity_of(body, "p", "person", name),),
    )


def entity(api: TestClient, q: str, type: str = "person") -> dict[str, Any]:
    found: dict[str, Any] = api.get("/v1/entities", params={"q": q, "type": type}).json()["items"][
        0
    ]
    return found


def test_patch_renames_and_marks_curated(api: TestClient) -> None:
    putin = entity(api, "vladimir putin")
    response = api.patch(f"/v1/entities/{putin['id']}", json={"name": "Vladimir V. Putin"})
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Vladimir V. Putin" and body["curated"] is True
    assert "Vladimir V. Putin" in body["aliases"]


def test_patch_description_and_wikidata(api: TestClient) -> None:
    putin = entity(api, "vladimir putin")
    body = api.patch(
        f"/v1/entities/{putin['id']}", json={"description": "President", "wikidata_id": "Q7747"}
    ).json()
    assert (body["description"], body["wikidata_id"]) == ("President", "Q7747")
    cleared = api.patch(f"/v1/entities/{putin['id']}", json={"wikidata_id": None}).json()
    assert cleared["wikidata_id"] is None and cleared["description"] == "President"


@pytest.mark.parametrize("bad", ["7747", "Q", "Q0", "q7747", "Q12a", "P31"])
def test_wikidata_id_must_be_a_q_number(api: TestClient, bad: str) -> None:
    putin = entity(api, "vladimir putin")
    response = api.patch(f"/v1/entities/{putin['id']}", json={"wikidata_id": bad})
    assert response.status_code == 422


def test_patch_adds_and_removes_aliases(api: TestClient) -> None:
    putin = entity(api, "vladimir putin")
    added = api.patch(f"/v1/entities/{putin['id']}", json={"add_aliases": ["Vova"]}).json()
    assert "Vova" in added["aliases"]
    assert entity(api, "vova")["id"] == putin["id"]
    removed = api.patch(f"/v1/entities/{putin['id']}", json={"remove_aliases": ["vova"]}).json()
    assert "Vova" not in removed["aliases"]


def test_patch_needs_the_write_key(api: TestClient) -> None:
    putin = entity(api, "vladimir putin")
    response = api.patch(
        f"/v1/entities/{putin['id']}", json={"name": "X"}, headers={"Authorization": "Bearer no"}
    )
    assert response.status_code == 401


def test_patch_rejects_empty_name_and_unknown_fields_are_ignored(api: TestClient) -> None:
    putin = entity(api, "vladimir putin")
    assert api.patch(f"/v1/entities/{putin['id']}", json={"name": "  "}).status_code == 422
    assert api.patch(f"/v1/entities/{putin['id']}", json={"name": "!!"}).status_code == 422


def test_merge_moves_facts_and_redirects(api: TestClient) -> None:
    lukashenko = entity(api, "lukashenko")
    putin = entity(api, "vladimir putin")
    before_quotes = api.get(f"/v1/entities/{lukashenko['id']}/quotes").json()["items"]
    before_events = api.get(f"/v1/entities/{lukashenko['id']}/events").json()["items"]
    response = api.post(f"/v1/entities/{lukashenko['id']}/merge", json={"into": putin["id"]})
    assert response.status_code == 200
    merged = response.json()
    assert merged["id"] == putin["id"]
    assert merged["mention_count"] == putin["mention_count"] + lukashenko["mention_count"]
    assert "Lukashenko" in merged["aliases"]
    quotes = api.get(f"/v1/entities/{putin['id']}/quotes").json()["items"]
    assert {q["id"] for q in before_quotes} <= {q["id"] for q in quotes}
    events = api.get(f"/v1/entities/{putin['id']}/events", params={"limit": 100}).json()
    assert {e["id"] for e in before_events} <= {e["id"] for e in events["items"]}


def test_merged_id_answers_308_to_its_new_home(api: TestClient) -> None:
    lukashenko, putin = entity(api, "lukashenko"), entity(api, "vladimir putin")
    api.post(f"/v1/entities/{lukashenko['id']}/merge", json={"into": putin["id"]})
    response = api.get(f"/v1/entities/{lukashenko['id']}/quotes?limit=5", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"].endswith(f"/v1/entities/{putin['id']}/quotes?limit=5")
    assert api.get(f"/v1/entities/{lukashenko['id']}").json()["id"] == putin["id"]


def test_merged_entity_leaves_the_list(api: TestClient) -> None:
    lukashenko, putin = entity(api, "lukashenko"), entity(api, "vladimir putin")
    api.post(f"/v1/entities/{lukashenko['id']}/merge", json={"into": putin["id"]})
    found = api.get("/v1/entities", params={"q": "lukashenko"}).json()["items"]
    assert [e["id"] for e in found] == [putin["id"]]


def test_merge_into_itself_or_another_type_is_refused(api: TestClient) -> None:
    putin, russia = entity(api, "vladimir putin"), entity(api, "russia", "country")
    assert (
        api.post(f"/v1/entities/{putin['id']}/merge", json={"into": putin["id"]}).status_code == 422
    )
    assert (
        api.post(f"/v1/entities/{putin['id']}/merge", json={"into": russia["id"]}).status_code
        == 409
    )
    assert (
        api.post(f"/v1/entities/{putin['id']}/merge", json={"into": 2_000_000_000}).status_code
        == 404
    )


def test_later_ingest_lands_on_the_merge_target(client: TestClient, session: Session) -> None:
    kb_ingest.ingest_article(session, meeting_article())
    putin, lukashenko = entity(client, "vladimir putin"), entity(client, "lukashenko")
    client.post(f"/v1/entities/{lukashenko['id']}/merge", json={"into": putin["id"]})
    kb_ingest.ingest_article(session, meeting_article(AGAIN))
    assert entity(client, "lukashenko")["id"] == putin["id"]
    assert entity(client, "vladimir putin")["mention_count"] == 4


def test_later_ingest_keeps_the_curated_name(client: TestClient, session: Session) -> None:
    kb_ingest.ingest_article(session, meeting_article())
    putin = entity(client, "vladimir putin")
    client.patch(f"/v1/entities/{putin['id']}", json={"name": "Vladimir Vladimirovich Putin"})
    kb_ingest.ingest_article(session, meeting_article(AGAIN))
    after = client.get(f"/v1/entities/{putin['id']}").json()
    assert after["name"] == "Vladimir Vladimirovich Putin"
    assert after["mention_count"] == 2


def test_later_ingest_of_the_curated_name_joins_the_entity(
    client: TestClient, session: Session
) -> None:
    kb_ingest.ingest_article(session, meeting_article())
    putin = entity(client, "vladimir putin")
    client.patch(f"/v1/entities/{putin['id']}", json={"name": "Vladimir Vladimirovich Putin"})
    body = "Vladimir Vladimirovich Putin arrived."
    kb_ingest.ingest_article(session, person_article(body, "Vladimir Vladimirovich Putin"))
    people = client.get("/v1/entities", params={"q": "vladimir", "type": "person"}).json()
    assert [e["id"] for e in people["items"]] == [putin["id"]]
    assert people["items"][0]["mention_count"] == 2

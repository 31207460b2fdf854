"""POST /v1/match: a read sent as POST; its answer, its refusals, its cache across writes."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.kb.ingest import ingest_article
from tests.factories import meeting_article

PUTIN = {"name": "Владимир Путин", "kind": "person", "country": "RUS"}


def test_names_are_answered_in_order_with_score_and_reason(
    client: TestClient, session: Session
) -> None:
    ingest_article(session, meeting_article())
    names = [PUTIN, {"name": "lukashenko alexander", "kind": "person"}]
    response = client.post("/v1/match", json={"names": names})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["name"] for r in results] == ["Владимир Путин", "lukashenko alexander"]
    putin, lukashenko = results[0]["matches"][0], results[1]["matches"][0]
    assert (putin["name"], putin["reason"], putin["score"]) == (
        "Vladimir Putin",
        "transliteration",
        0.95,
    )
    assert (results[0]["country"], putin["country_match"]) == ("RU", True)
    assert (lukashenko["name"], lukashenko["reason"]) == ("Alexander Lukashenko", "token_order")


def test_screening_needs_no_api_key_like_a_read(app: FastAPI, session: Session) -> None:
    ingest_article(session, meeting_article())
    with TestClient(app) as anonymous:  # keys are configured; none is sent
        response = anonymous.post("/v1/match", json={"names": [PUTIN]})
    assert response.status_code == 200
    assert response.json()["results"][0]["matches"]


def test_a_wrong_key_is_refused_as_on_any_read(app: FastAPI) -> None:
    with TestClient(app, headers={"Authorization": "Bearer wrong"}) as wrong:
        response = wrong.post("/v1/match", json={"names": [PUTIN]})
    assert response.status_code == 401


def test_an_alias_added_by_a_curator_is_found_next_time(
    client: TestClient, session: Session
) -> None:
    ingest_article(session, meeting_article())
    body = {"names": [{"name": "Lukashenka", "kind": "person"}], "threshold": 0.95}
    assert client.post("/v1/match", json=body).json()["results"][0]["matches"] == []
    entity = client.get("/v1/entities", params={"q": "Alexander Lukashenko"}).json()["items"][0]
    client.patch(f"/v1/entities/{entity['id']}", json={"add_aliases": ["Lukashenka"]})
    found = client.post("/v1/match", json=body).json()["results"][0]["matches"]
    assert [(m["id"], m["reason"]) for m in found] == [(entity["id"], "exact")]


def test_too_many_names_are_a_problem(client: TestClient) -> None:
    response = client.post("/v1/match", json={"names": [PUTIN] * 501})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_an_empty_name_is_a_problem_naming_its_place(client: TestClient) -> None:
    response = client.post("/v1/match", json={"names": [PUTIN, {"name": "  ", "kind": "person"}]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "names", 1, "name"]


def test_an_unknown_kind_is_a_problem(client: TestClient) -> None:
    response = client.post("/v1/match", json={"names": [{"name": "Putin", "kind": "ship"}]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "names", 0, "kind"]


def test_an_unknown_country_is_a_problem(client: TestClient) -> None:
    names = [{"name": "Putin", "kind": "person", "country": "Atlantis"}]
    response = client.post("/v1/match", json={"names": names})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["body", "names", 0, "country"]


def test_a_body_that_is_not_json_is_a_problem(client: TestClient) -> None:
    response = client.post("/v1/match", content="name,kind", headers={"Content-Type": "text/csv"})
    assert response.status_code == 415


def test_the_schema_documents_a_read_not_a_write(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/match"]["post"]
    assert "403" not in operation["responses"]  # no write key rule applies
    assert {"401", "413", "422", "429", "503"} <= set(operation["responses"])
    assert "security" not in operation

"""Entity, event and quote reads over data stored through the real ingest path."""

import dataclasses

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.extract import types as x
from app.kb import ingest as kb_ingest
from tests.factories import meeting_article, span_of


@pytest.fixture
def stored(session: Session) -> int:
    return kb_ingest.ingest_article(session, meeting_article()).article.id


def test_entities_list_with_counts_and_aliases(client: TestClient, stored: int) -> None:
    items = client.get("/v1/entities").json()["items"]
    by_name = {e["name"]: e for e in items}
    assert {"Vladimir Putin", "Alexander Lukashenko", "Russia"} <= set(by_name)
    assert by_name["Russia"]["type"] == "country"
    assert by_name["Russia"]["country_code"] == "RU"
    assert by_name["Vladimir Putin"]["mention_count"] == 1
    assert by_name["Vladimir Putin"]["article_count"] == 1


def test_entities_filter_by_type_and_name(client: TestClient, stored: int) -> None:
    people = client.get("/v1/entities", params={"type": "person"}).json()["items"]
    assert {e["name"] for e in people} == {"Vladimir Putin", "Alexander Lukashenko"}
    found = client.get("/v1/entities", params={"q": "lukash"}).json()["items"]
    assert [e["name"] for e in found] == ["Alexander Lukashenko"]


def test_entities_paginate_without_overlap(client: TestClient, stored: int) -> None:
    first = client.get("/v1/entities", params={"limit": 2}).json()
    second = client.get("/v1/entities", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    names = [e["name"] for e in first["items"] + second["items"]]
    assert len(names) == len(set(names)) == 3


def test_entity_detail_has_roles_with_evidence(client: TestClient, stored: int) -> None:
    people = client.get("/v1/entities", params={"q": "putin"}).json()["items"]
    entity = client.get(f"/v1/entities/{people[0]['id']}").json()
    assert entity["roles"][0]["title"] == "President"
    assert entity["roles"][0]["of"]["name"] == "Russia"
    evidence = entity["roles"][0]["evidence"]
    assert evidence["article_id"] == stored
    assert evidence["text"] == "Vladimir Putin"


def test_unknown_entity_and_event_are_404(client: TestClient) -> None:
    assert client.get("/v1/entities/424242").status_code == 404
    assert client.get("/v1/events/424242").status_code == 404


def test_events_list_and_filters(client: TestClient, stored: int) -> None:
    events = client.get("/v1/events").json()["items"]
    assert len(events) == 1
    event = events[0]
    assert event["type"] == "meeting"
    assert event["date_start"] == "2021-09-09"
    assert {p["entity"]["name"] for p in event["participants"]} == {
        "Vladimir Putin",
        "Alexander Lukashenko",
    }
    assert event["evidence"][0]["article_id"] == stored
    putin_id = next(p["entity"]["id"] for p in event["participants"] if p["role"] == "agent")
    assert len(client.get("/v1/events", params={"entity": putin_id}).json()["items"]) == 1
    assert client.get("/v1/events", params={"type": "visit"}).json()["items"] == []
    assert client.get("/v1/events", params={"status": "expected"}).json()["items"] == []
    assert client.get("/v1/events", params={"date_from": "2021-09-10"}).json()["items"] == []
    assert len(client.get("/v1/events", params={"date_to": "2021-09-09"}).json()["items"]) == 1
    detail = client.get(f"/v1/events/{event['id']}").json()
    assert detail["location"]["name"] == "Russia"


def test_events_reject_unknown_type_and_bad_dates(client: TestClient) -> None:
    assert client.get("/v1/events", params={"type": "party"}).status_code == 422
    assert client.get("/v1/events", params={"date_from": "yesterday"}).status_code == 422


def test_article_detail_lists_its_facts(client: TestClient, stored: int) -> None:
    article = client.get(f"/v1/articles/{stored}").json()
    assert {e["name"] for e in article["entities"]} == {
        "Vladimir Putin",
        "Alexander Lukashenko",
        "Russia",
    }
    assert article["timexes"][0]["value"] == "2021-09-09"
    assert article["roles"][0]["title"] == "President"
    assert article["events"][0]["type"] == "meeting"


def test_quotes_list_is_empty_without_quotes(client: TestClient, stored: int) -> None:
    assert client.get("/v1/quotes").json() == {"items": [], "next_cursor": None}


def test_event_shows_its_trigger_word_and_main_evidence(
    client: TestClient, session: Session
) -> None:
    article = meeting_article()
    main = dataclasses.replace(article.events[0], main=True, trigger="meet")
    kb_ingest.ingest_article(session, dataclasses.replace(article, events=(main,)))
    [event] = client.get("/v1/events").json()["items"]
    detail = client.get(f"/v1/events/{event['id']}").json()
    assert detail["trigger"] == "meet"
    assert [span["main"] for span in detail["evidence"]] == [True]


def test_quote_of_an_unnamed_speaker_keeps_its_description(
    client: TestClient, session: Session
) -> None:
    body = (
        "Vladimir Putin met Alexander Lukashenko in Russia on Thursday. "
        '"Talks went well," a Kremlin spokesman said.'
    )
    article = meeting_article(body)
    quote = x.Quote(
        "Talks went well",
        span_of(body, "Talks went well"),
        None,
        speaker_description="a Kremlin spokesman",
    )
    kb_ingest.ingest_article(session, dataclasses.replace(article, quotes=(quote,)))
    items = client.get("/v1/quotes").json()["items"]
    assert [(q["speaker"], q["speaker_description"]) for q in items] == [
        (None, "a Kremlin spokesman")
    ]

"""GET /v1/events filters (type, entity, location, status, dates, q) and the event detail."""

from typing import Any

from fastapi.testclient import TestClient

from tests.query.conftest import Corpus


def events(api: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/v1/events", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def entity_id(api: TestClient, q: str, type: str) -> int:
    found: int = api.get("/v1/entities", params={"q": q, "type": type}).json()["items"][0]["id"]
    return found


def test_events_are_date_sorted_undated_last(api: TestClient) -> None:
    dates = [e["date_start"] for e in events(api)]
    dated = [d for d in dates if d]
    assert dated == sorted(dated)
    assert dates[: len(dated)] == dated


def test_type_filter(api: TestClient) -> None:
    found = events(api, type="election")
    assert found and {e["type"] for e in found} == {"election"}


def test_status_filter(api: TestClient) -> None:
    found = events(api, status="expected")
    assert found and {e["status"] for e in found} == {"expected"}


def test_entity_filter_needs_every_participant(api: TestClient) -> None:
    putin = entity_id(api, "vladimir putin", "person")
    lukashenko = entity_id(api, "lukashenko", "person")
    with_putin = events(api, entity=putin)
    both = events(api, entity=[putin, lukashenko])
    assert len(both) < len(with_putin)
    assert [e["type"] for e in both] == ["meeting"]


def test_location_filter(api: TestClient) -> None:
    located = [e for e in events(api) if e["location"]]
    place = located[0]["location"]["id"]
    found = events(api, location=place)
    assert found and {e["location"]["id"] for e in found} == {place}
    assert len(found) < len(events(api))


def test_date_range_filter(api: TestClient) -> None:
    found = events(api, date_from="2021-09-10", date_to="2021-09-30")
    assert found
    assert all("2021-09-10" <= e["date_start"] <= "2021-09-30" for e in found)


def test_q_filter_matches_every_word_of_the_summary(api: TestClient) -> None:
    found = events(api, q="Putin Minsk")
    assert [e["type"] for e in found] == ["agreement"]
    assert events(api, q="putin nowhere-town") == []


def test_events_pages_do_not_overlap(api: TestClient) -> None:
    everything = [e["id"] for e in events(api)]
    first = api.get("/v1/events", params={"limit": 10}).json()
    second = api.get("/v1/events", params={"limit": 90, "cursor": first["next_cursor"]}).json()
    assert [e["id"] for e in first["items"] + second["items"]] == everything


def test_event_detail_has_participants_evidence_and_articles(
    api: TestClient, corpus: Corpus
) -> None:
    meeting = events(api, q="lukashenko", type="meeting")[0]
    detail = api.get(f"/v1/events/{meeting['id']}").json()
    assert {p["entity"]["name"] for p in detail["participants"]} >= {"Alexander Lukashenko"}
    evidence = detail["evidence"][0]
    article = api.get(f"/v1/articles/{evidence['article_id']}").json()
    assert article["body"][evidence["start"] : evidence["end"]] == evidence["text"]
    assert [a["id"] for a in detail["articles"]] == [corpus.seed_id]
    assert detail["articles"][0]["source"] == "DW"

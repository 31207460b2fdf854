"""GET /v1/events filters (type, entity, location, status, dates, q) and the event detail."""

from typing import Any

from fastapi.testclient import TestClient

from tests.query.conftest import Corpus


def events(api: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/v1/events", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


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
    event = next(e for e in events(api) if len({p["entity"]["id"] for p in e["participants"]}) > 1)
    first, second = sorted({p["entity"]["id"] for p in event["participants"]})[:2]
    both = events(api, entity=[first, second])
    assert event["id"] in {e["id"] for e in both}
    assert len(both) <= len(events(api, entity=first))
    for found in both:
        assert {first, second} <= {p["entity"]["id"] for p in found["participants"]}


def test_location_filter(api: TestClient) -> None:
    located = [e for e in events(api) if e["location"]]
    place = located[0]["location"]["id"]
    found = events(api, location=place)
    assert found and {e["location"]["id"] for e in found} == {place}
    assert len(found) < len(events(api))


def test_date_range_filter(api: TestClient) -> None:
    found = events(api, date_from="2021-09-10", date_to="2021-09-30")
    assert found
    # The filter keeps events that overlap the range ("Events ending on or after"): a range
    # such as 2000/2050 is one of them.
    assert all(
        e["date_start"] <= "2021-09-30" and (e["date_end"] or e["date_start"]) >= "2021-09-10"
        for e in found
    )


def test_q_filter_matches_every_word_of_the_summary(api: TestClient) -> None:
    event = next(e for e in events(api) if e["date_start"] and e["location"])
    words = [event["location"]["name"].split()[0], event["type"].split("_")[0]]
    found = events(api, q=" ".join(words))
    assert event["id"] in {e["id"] for e in found}
    assert all(all(w.lower() in e["summary"].lower() for w in words) for e in found)
    assert events(api, q=f"{words[0]} nowhere-town") == []


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

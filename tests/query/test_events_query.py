"""GET /v1/events filters (type, entity, location, status, dates, q) and the event detail."""

import re
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.kb import events as kb_events
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


def pages_of(api: TestClient, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page's items, following `next_cursor` to the end."""
    found: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        response = api.get("/v1/events", params={**params, **extra})
        assert response.status_code == 200, response.text
        body = response.json()
        found.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return found
        assert len(found) < 500, "the cursor does not move forward"


@pytest.mark.parametrize("index_max", [-1, 2, 10**9])
@pytest.mark.parametrize("limit", [1, 2, 7])
def test_q_pages_list_the_matches_in_date_order(
    api: TestClient, monkeypatch: pytest.MonkeyPatch, index_max: int, limit: int
) -> None:
    """Through the trigram index, the planner's own plan, or the index first and the plan when
    the matches outnumber the bound (``SUMMARY_INDEX_MAX``, PostgreSQL), the pages list
    exactly the events whose summary has every word, in date order (undated last), each once;
    so do words too short for trigrams."""
    monkeypatch.setattr(kb_events, "SUMMARY_INDEX_MAX", index_max)
    everything = [e for page in pages_of(api, limit=100) for e in page]
    counts = Counter(
        w for e in everything for w in set(re.findall(r"[a-z]{4,}", (e["summary"] or "").lower()))
    )
    ranked = [w for w, _ in counts.most_common()]
    queries = [ranked[0], ranked[len(ranked) // 2], ranked[-1], f"{ranked[0]} {ranked[1]}", "e"]
    for q in queries:
        words = q.split()
        expected = [
            e["id"] for e in everything if all(w in (e["summary"] or "").lower() for w in words)
        ]
        found = pages_of(api, q=q, limit=limit)
        assert [e["id"] for page in found for e in page] == expected, q
        assert all(len(page) == limit for page in found[:-1]), q


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


@pytest.mark.parametrize(
    ("q", "indexed"),
    [
        ("milburn", True),
        ("tony blair", True),
        ("Müller", True),
        ("4", False),
        ("u.s. talks", False),
        ("bl_ir", False),
        ("blair ok", False),
        ("!!!", False),
    ],
)
def test_only_words_with_trigrams_go_to_the_trigram_index(q: str, indexed: bool) -> None:
    """pg_trgm finds no trigram in a word under three characters: such a LIKE reads every
    summary, which the planner's own plan avoids."""
    assert kb_events._has_trigrams(q) is indexed

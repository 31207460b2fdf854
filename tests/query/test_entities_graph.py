"""Entity lists, sorts and sub-resources: articles, events, quotes, related, timeline."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.query.conftest import Corpus


def get(api: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def lukashenko(api: TestClient) -> int:
    found: int = get(api, "/v1/entities", q="lukashenko")["items"][0]["id"]
    return found


def test_default_sort_is_most_mentioned_first(api: TestClient) -> None:
    counts = [e["mention_count"] for e in get(api, "/v1/entities", limit=100)["items"]]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]


def test_sort_by_name(api: TestClient) -> None:
    items = get(api, "/v1/entities", sort="name", type="country", limit=100)["items"]
    names = [e["name"].lower() for e in items]
    assert names == sorted(names) and len(names) > 5


def test_sort_by_last_seen(api: TestClient) -> None:
    items = get(api, "/v1/entities", sort="-last_seen", limit=100)["items"]
    seen = [e["last_seen"] for e in items]
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize("sort", ["-mentions", "name", "-last_seen"])
def test_every_sort_pages_without_overlap(api: TestClient, sort: str) -> None:
    everything = [e["id"] for e in get(api, "/v1/entities", sort=sort, limit=60)["items"]]
    pages: list[int] = []
    params: dict[str, Any] = {"sort": sort, "limit": 20}
    for _ in range(3):
        page = get(api, "/v1/entities", **params)
        pages += [e["id"] for e in page["items"]]
        params["cursor"] = page["next_cursor"]
    assert pages == everything


def test_type_and_q_filter_entities(api: TestClient) -> None:
    people = get(api, "/v1/entities", type="person", q="vladimir")["items"]
    assert [e["name"] for e in people] == ["Vladimir Putin"]
    assert get(api, "/v1/entities", type="country", q="vladimir")["items"] == []


def test_entity_articles(api: TestClient, corpus: Corpus, lukashenko: int) -> None:
    items = get(api, f"/v1/entities/{lukashenko}/articles")["items"]
    assert [a["id"] for a in items] == [corpus.seed_id]


def test_entity_articles_take_the_article_filters(api: TestClient) -> None:
    russia = get(api, "/v1/entities", q="russia", type="country")["items"][0]["id"]
    everything = get(api, f"/v1/entities/{russia}/articles", limit=100)["items"]
    wikinews = get(api, f"/v1/entities/{russia}/articles", source="Wikinews", q="said")["items"]
    assert len(everything) >= 2
    assert {a["id"] for a in wikinews} < {a["id"] for a in everything}


def test_entity_events(api: TestClient, lukashenko: int) -> None:
    items = get(api, f"/v1/entities/{lukashenko}/events")["items"]
    assert items
    for event in items:
        assert lukashenko in {p["entity"]["id"] for p in event["participants"]}


def test_entity_quotes(api: TestClient, lukashenko: int) -> None:
    items = get(api, f"/v1/entities/{lukashenko}/quotes")["items"]
    assert items
    assert all(q["speaker"]["id"] == lukashenko for q in items)


def test_related_counts_shared_articles(api: TestClient, lukashenko: int) -> None:
    items = get(api, f"/v1/entities/{lukashenko}/related", limit=100)["items"]
    by_name = {e["name"]: e for e in items}
    assert by_name["Vladimir Putin"]["shared_articles"] == 1
    assert lukashenko not in by_name.values()
    shared = [e["shared_articles"] for e in items]
    assert shared == sorted(shared, reverse=True)


def test_related_most_shared_first(api: TestClient) -> None:
    usa = get(api, "/v1/entities", q="united states", type="country")["items"][0]["id"]
    items = get(api, f"/v1/entities/{usa}/related", limit=100)["items"]
    assert items[0]["shared_articles"] >= 2


def test_related_by_type(api: TestClient, lukashenko: int) -> None:
    items = get(api, f"/v1/entities/{lukashenko}/related", type="country")["items"]
    assert {e["name"] for e in items} >= {"Belarus", "Russia"}
    assert {e["type"] for e in items} == {"country"}


def test_timeline_is_in_date_order(api: TestClient, corpus: Corpus, lukashenko: int) -> None:
    items = get(api, f"/v1/entities/{lukashenko}/timeline")["items"]
    dates = [i["date"] for i in items]
    assert dates == sorted(dates)
    assert {i["kind"] for i in items} == {"event", "article"}
    article = next(i for i in items if i["kind"] == "article")
    assert article["article"]["id"] == corpus.seed_id and article["date"] == "2021-09-12"


def test_timeline_pages(api: TestClient, lukashenko: int) -> None:
    everything = get(api, f"/v1/entities/{lukashenko}/timeline")["items"]
    first = get(api, f"/v1/entities/{lukashenko}/timeline", limit=2)
    rest = get(api, f"/v1/entities/{lukashenko}/timeline", cursor=first["next_cursor"])
    assert first["items"] + rest["items"] == everything


@pytest.mark.parametrize("sub", ["", "/articles", "/events", "/quotes", "/related", "/timeline"])
def test_unknown_entity_is_404(api: TestClient, sub: str) -> None:
    assert api.get(f"/v1/entities/2000000000{sub}").status_code == 404

"""GET /v1/search: articles, entities and events in one call, with facets."""

from collections import Counter
from typing import Any

from fastapi.testclient import TestClient

from tests.query.conftest import Corpus


def search(api: TestClient, **params: Any) -> dict[str, Any]:
    response = api.get("/v1/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_prefix_finds_the_entity(api: TestClient) -> None:
    names = [e["name"] for e in search(api, q="lukash")["entities"]["items"]]
    assert names == ["Alexander Lukashenko"]


def test_entity_match_ignores_accents_and_case(api: TestClient) -> None:
    names = [e["name"] for e in search(api, q="LÜKASH")["entities"]["items"]]
    assert names == ["Alexander Lukashenko"]


def test_entity_match_uses_aliases(api: TestClient) -> None:
    found = search(api, q="Lukashenko")["entities"]["items"]
    assert "Lukashenko" in found[0]["aliases"]


def test_entity_match_is_a_word_prefix_not_a_substring(api: TestClient) -> None:
    assert search(api, q="ashenko")["entities"]["items"] == []


def test_articles_and_events_are_found_too(api: TestClient, corpus: Corpus) -> None:
    result = search(api, q="lukashenko")
    assert [a["id"] for a in result["articles"]["items"]] == [corpus.seed_id]
    assert "<mark>" in result["articles"]["items"][0]["snippet"]
    assert result["events"]["items"]
    assert all("lukashenko" in e["summary"].lower() for e in result["events"]["items"])


def test_facets_count_sources_sections_years(api: TestClient, corpus: Corpus) -> None:
    facets = search(api, q="lukashenko")["facets"]
    assert facets["sources"] == [{"value": "DW", "count": 1}]
    assert facets["sections"] == [{"value": "Politics", "count": 1}]
    assert facets["years"] == [{"value": "2021", "count": 1}]
    assert facets["entity_types"] == [{"value": "person", "count": 1}]


def test_facets_add_up_to_the_matching_articles(api: TestClient) -> None:
    facets = search(api, q="said")["facets"]
    all_hits = api.get("/v1/articles", params={"q": "said", "limit": 100}).json()["items"]
    assert sum(f["count"] for f in facets["sources"]) == len(all_hits)
    sections = Counter(hit["section"] for hit in all_hits if hit["section"])
    assert len(sections) > 2
    assert {f["value"]: f["count"] for f in facets["sections"]} == sections


def test_sections_link_to_their_next_page(api: TestClient) -> None:
    result = search(api, q="said", limit=2)
    more = result["articles"]["more"]
    assert result["articles"]["next_cursor"] and "/v1/articles?" in more
    page = api.get(more)
    assert page.status_code == 200
    first = {a["id"] for a in result["articles"]["items"]}
    assert not first & {a["id"] for a in page.json()["items"]}


def test_entity_section_continues_on_the_entity_list(api: TestClient) -> None:
    result = search(api, q="ma", limit=1)
    page = api.get(result["entities"]["more"])
    assert page.status_code == 200
    assert page.json()["items"][0]["id"] != result["entities"]["items"][0]["id"]


def test_query_of_stop_words_only_is_a_400(api: TestClient) -> None:
    assert api.get("/v1/search", params={"q": "the"}).status_code == 400


def test_missing_q_is_a_422(api: TestClient) -> None:
    assert api.get("/v1/search").status_code == 422

"""GET /v1/articles?q=: web-search syntax, relevance, snippets, sorts, on the real corpus."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.query.conftest import Corpus


def hits(api: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/v1/articles", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def bodies(api: TestClient, items: list[dict[str, Any]]) -> list[str]:
    return [api.get(f"/v1/articles/{i['id']}").json()["body"].lower() for i in items]


def test_corpus_has_at_least_fifty_real_articles(api: TestClient, corpus: Corpus) -> None:
    assert corpus.size >= 51
    assert len(hits(api)) == corpus.size


def test_word_query_finds_the_seed_article(api: TestClient, corpus: Corpus) -> None:
    assert [h["id"] for h in hits(api, q="Lukashenko")] == [corpus.seed_id]


def test_words_must_all_match(api: TestClient) -> None:
    both = hits(api, q="scientology church")
    assert both
    assert all("scientology" in b and "church" in b for b in bodies(api, both))
    assert len(both) <= len(hits(api, q="church"))


def test_query_stems_words(api: TestClient, corpus: Corpus) -> None:
    assert corpus.seed_id in {h["id"] for h in hits(api, q="weapon")}


def test_exact_phrase_matches_only_adjacent_words(api: TestClient, corpus: Corpus) -> None:
    phrase = hits(api, q='"arms deal"')
    assert [h["id"] for h in phrase] == [corpus.seed_id]
    assert hits(api, q='"deal arms"') == []


def test_or_widens_the_match(api: TestClient) -> None:
    scientology = {h["id"] for h in hits(api, q="scientology")}
    lukashenko = {h["id"] for h in hits(api, q="lukashenko")}
    either = {h["id"] for h in hits(api, q="scientology OR lukashenko")}
    assert either == scientology | lukashenko


def test_minus_excludes(api: TestClient) -> None:
    church = {h["id"] for h in hits(api, q="church")}
    scientology = {h["id"] for h in hits(api, q="scientology")}
    assert {h["id"] for h in hits(api, q="church -scientology")} == church - scientology


def test_relevance_is_the_default_order_with_q(api: TestClient) -> None:
    found = hits(api, q="scientology")
    scores = [h["score"] for h in found]
    assert len(found) >= 2
    assert scores == sorted(scores, reverse=True)
    assert all(s > 0 for s in scores)


def test_each_hit_has_a_highlighted_snippet(api: TestClient) -> None:
    for hit in hits(api, q="scientology"):
        assert "<mark>" in hit["snippet"]
        assert "scientology" in hit["snippet"].lower()


def test_snippet_is_html_escaped(api: TestClient) -> None:
    snippet = hits(api, q="Lukashenko")[0]["snippet"]
    assert "<" not in snippet.replace("<mark>", "").replace("</mark>", "")


def test_without_q_there_is_no_score_or_snippet(api: TestClient) -> None:
    first = hits(api, limit=1)[0]
    assert first["score"] is None and first["snippet"] is None


def test_sort_by_date_with_q(api: TestClient) -> None:
    dated = {"q": "fire OR church", "published_from": "2000-01-01"}
    newest = hits(api, **dated, sort="-published_at")
    oldest = hits(api, **dated, sort="published_at")
    dates = [h["published_at"] for h in newest]
    assert len(newest) >= 3
    assert dates == sorted(dates, reverse=True)
    assert [h["id"] for h in oldest] == [h["id"] for h in reversed(newest)]


def test_relevance_without_q_is_a_400(api: TestClient) -> None:
    response = api.get("/v1/articles", params={"sort": "relevance"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced',
        "NEAR(church scientology)",
        "church NEAR scientology",
        "scien*",
        "church AND NOT",
        "title:church",
        "^church",
        "church OR OR",
        "-- church",
        "'church'",
        "(church",
        "church)",
        'church" "',
        "ch\u00fcrch",
    ],
)
def test_hostile_queries_answer_results_not_errors(api: TestClient, q: str) -> None:
    response = api.get("/v1/articles", params={"q": q})
    assert response.status_code == 200, response.text


def test_nul_in_query_is_results_or_a_clear_400(api: TestClient) -> None:
    response = api.get("/v1/articles", params={"q": "\u0000church", "tag": "a\u0000"})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("q", ["the", "OR", "-church", '""', "*", "NEAR", "x" * 10_000])
def test_queries_with_nothing_to_search_are_a_clear_400(api: TestClient, q: str) -> None:
    response = api.get("/v1/articles", params={"q": q})
    if q == "NEAR":  # a plain word once quoted
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert response.json()["type"].endswith("/invalid-query")


def test_relevance_pages_do_not_overlap(api: TestClient) -> None:
    everything = [h["id"] for h in hits(api, q="said")]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": "said", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        response = api.get("/v1/articles", params=params)
        seen += [h["id"] for h in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
        assert 'rel="next"' in response.headers["link"]
    assert len(everything) > 6
    assert seen == everything


def test_cursor_of_another_query_is_a_400(api: TestClient) -> None:
    cursor = api.get("/v1/articles", params={"q": "said", "limit": 1}).json()["next_cursor"]
    response = api.get("/v1/articles", params={"q": "told", "cursor": cursor})
    assert response.status_code == 400

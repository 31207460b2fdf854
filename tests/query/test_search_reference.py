"""Every search answer is the same with the full-text condition of before migration 0017
(``reference_search``): relevance and newest-first pages, cursors, facets and totals."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.kb.search import articles as kb_search
from app.kb.search import relevance
from tests.query.reference_search import reference_condition

QUERIES = [
    "said",  # in most articles
    "lukashenko",
    "fire OR church",
    "slower",  # the French reading stems it ("slow")
    '"prime minister"',
    "police -fire",
]


def every_page(api: TestClient, path: str, **params: Any) -> list[Any]:
    """Every answer of a list, following `next_cursor` to the end."""
    answers = []
    cursor = None
    while True:
        response = api.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        answers.append(response.json())
        cursor = answers[-1].get("next_cursor")
        if cursor is None or len(answers) > 100:
            return answers


def answers(api: TestClient, q: str) -> list[Any]:
    found = [api.get("/v1/search", params={"q": q, "limit": 3}).json()]
    for sort in ("relevance", "-published_at", "published_at"):
        found += every_page(api, "/v1/articles", q=q, sort=sort, limit=4)
    found += every_page(api, "/v1/articles", q=q, language="en", limit=4)
    return found


@pytest.mark.parametrize("q", QUERIES)
def test_answers_are_those_of_the_reference_condition(
    api: TestClient, monkeypatch: pytest.MonkeyPatch, q: str
) -> None:
    current = answers(api, q)
    monkeypatch.setattr(relevance.Match, "condition", reference_condition)
    # The window's kept statements were built with the condition under test: build them again.
    kb_search._window_probes.cache_clear()
    relevance._hits_statement.cache_clear()
    try:
        assert answers(api, q) == current
    finally:
        kb_search._window_probes.cache_clear()
        relevance._hits_statement.cache_clear()

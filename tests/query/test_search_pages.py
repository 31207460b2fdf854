"""Relevance pages: the window is read with its ranks, the page's ids are chosen from them, and
only the page's articles are read whole (``app.kb.search.relevance``), on both backends."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.kb.search import articles as kb_search
from app.kb.search import relevance
from app.kb.search.webquery import parse
from tests.query.conftest import Corpus
from tests.query.test_explain import recorded
from tests.query.test_search_window import COMMON, flat, newest_first, pages


@pytest.fixture
def window(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(kb_search, "WINDOW", 5)
    return 5


def _select_list(statement: str) -> str:
    """What a statement selects: the text before its first FROM."""
    return statement.split("FROM", 1)[0]


@pytest.mark.parametrize("path", ["/v1/articles", "/v1/search"])
def test_first_page_reads_only_its_own_articles_whole(
    api: TestClient, corpus_session: Session, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """No statement but the page read selects the articles' text; the page read is asked
    for the page's ids only, in rank order."""
    asked: list[list[int]] = []
    hits = relevance.Match.hits

    def spy(self: relevance.Match, session: Session, ids: Any) -> Any:
        asked.append(list(ids))
        return hits(self, session, ids)

    monkeypatch.setattr(relevance.Match, "hits", spy)
    with recorded(corpus_session.connection()) as statements:
        body = api.get(path, params={"q": COMMON, "limit": 3}).json()
    items = body["items"] if path == "/v1/articles" else body["articles"]["items"]
    assert asked == [[item["id"] for item in items]] and len(items) == 3
    whole = [s for s, _ in statements if "articles.body" in _select_list(s)]
    assert len(whole) == 1, whole


def test_window_ranks_are_the_scores_of_the_page(corpus_session: Session) -> None:
    """The rank read with the window (PostgreSQL: over each probe's kept rows) is the score
    the page shows, so ranking the window in Python orders as SQL does on later pages."""
    parsed = parse(COMMON)
    window = kb_search._window(
        corpus_session, parsed, kb_search.ArticleFilters(), kb_search.WindowRow
    )
    assert len(window.rows) > 10
    match = relevance.Match(corpus_session.get_bind().dialect.name, parsed)
    shown = {
        hit.article["id"]: hit.score
        for hit in match.hits(corpus_session, [r.id for r in window.rows])
    }
    sign = -1 if match.sqlite else 1
    assert {row.id: sign * row.rank for row in window.rows} == shown


def test_window_without_query_is_the_newest_articles(
    api: TestClient, corpus_session: Session
) -> None:
    window = kb_search.match_window(corpus_session, q=None, filters=kb_search.ArticleFilters())
    assert [row.id for row in window.rows] == flat(pages(api, limit=100))
    assert all(row.rank is None for row in window.rows)


def test_page_read_keeps_the_order_asked_and_skips_deleted_ids(
    corpus: Corpus, corpus_session: Session
) -> None:
    match = relevance.Match(corpus_session.get_bind().dialect.name, parse(COMMON))
    saying = [i for i, a in corpus.wikinews.items() if re.search(rf"\b{COMMON}\b", a.doc.text)]
    first, second = saying[:2]
    hits = match.hits(corpus_session, [second, 2**31 - 1, first])
    assert [hit.article["id"] for hit in hits] == [second, first]
    assert all(hit.snippet is not None and hit.article["source"] for hit in hits)


def test_python_and_sql_ranking_agree_across_pages(api: TestClient, window: int) -> None:
    """The first page is ranked in Python, later ones in SQL: together they are one order."""
    whole = flat(pages(api, q=COMMON, limit=100))
    assert len(whole) == window
    for limit in (1, 2, 4):
        assert flat(pages(api, q=COMMON, limit=limit)) == whole
    assert sorted(whole) == sorted(newest_first(api, COMMON)[:window])

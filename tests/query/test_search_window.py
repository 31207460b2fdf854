"""The relevance window: relevance ranks, and facets count, only the newest matches.

The window size (``app.kb.search.articles.WINDOW``, 1,000) is patched down so the 51-article corpus
overflows it; the date-slice reader (``app.kb.search.newest``) is patched to slice tiny ranges, on
SQLite too, so its probes, bounds and cursors run on both backends.
"""

import re
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text, update
from sqlalchemy.orm import Session

from app.db.models import Article
from app.kb.search import articles as kb_search
from app.kb.search import newest, relevance
from tests.query.conftest import Corpus
from tests.query.test_explain import planner, plans_of  # noqa: F401  (fixture)

COMMON = "said"  # in most articles of the corpus


def pages(api: TestClient, path: str = "/v1/articles", **params: Any) -> list[list[int]]:
    """The ids of every page of a list, following `next_cursor` to the end."""
    found: list[list[int]] = []
    cursor = None
    while True:
        response = api.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        found.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return found
        assert len(found) < 200, "the cursor does not move forward"


def flat(found: list[list[int]]) -> list[int]:
    return [i for page in found for i in page]


def newest_first(api: TestClient, q: str) -> list[int]:
    return flat(pages(api, q=q, sort="-published_at", limit=100))


@pytest.fixture
def window(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(kb_search, "WINDOW", 5)
    return 5


@pytest.fixture
def slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slice on every backend, from one article per wanted row, up to 3 probes."""
    monkeypatch.setattr(newest, "SLICED_DIALECTS", frozenset({"sqlite", "postgresql"}))
    monkeypatch.setattr(newest, "FIRST_SLICE_PER_ROW", 1)
    monkeypatch.setattr(newest, "MIN_FIRST_SLICE", 1)
    monkeypatch.setattr(newest, "MAX_SLICE_PER_ROW", 1000)
    monkeypatch.setattr(newest, "SLICE_MARGIN", 1.0)


def test_relevance_ranks_the_newest_matches_only(api: TestClient, window: int) -> None:
    ranked = flat(pages(api, q=COMMON, limit=100))
    matches = newest_first(api, COMMON)
    assert len(matches) > 2 * window
    assert sorted(ranked) == sorted(matches[:window])


def test_relevance_pages_cover_the_window_without_duplicates(api: TestClient, window: int) -> None:
    one_page = flat(pages(api, q=COMMON, limit=100))
    paged = pages(api, q=COMMON, limit=2)
    assert [len(p) for p in paged] == [2, 2, 1]
    assert flat(paged) == one_page


def test_relevance_window_is_ordered_by_score(api: TestClient, window: int) -> None:
    items = api.get("/v1/articles", params={"q": COMMON, "limit": 100}).json()["items"]
    scores = [item["score"] for item in items]
    assert len(scores) == window
    assert scores == sorted(scores, reverse=True)


def test_a_rare_word_is_ranked_whole(api: TestClient, corpus: Corpus, window: int) -> None:
    assert flat(pages(api, q="lukashenko")) == [corpus.seed_id]


def test_later_pages_keep_the_window_of_the_first(
    api: TestClient, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    """The cursor carries the window's bound: a larger window later changes nothing."""
    first = api.get("/v1/articles", params={"q": COMMON, "limit": 3}).json()
    monkeypatch.setattr(kb_search, "WINDOW", 1000)
    rest = flat(pages(api, q=COMMON, limit=3, cursor=first["next_cursor"]))
    matches = newest_first(api, COMMON)
    assert sorted([i["id"] for i in first["items"]] + rest) == sorted(matches[:window])


def test_window_is_the_same_on_both_backends(api: TestClient, corpus: Corpus, window: int) -> None:
    """The newest articles whose text has the word, found without any full-text index."""
    word = re.compile(rf"\b{COMMON}\b", re.IGNORECASE)
    keyed = []
    for id_ in flat(pages(api, limit=100)):
        article = api.get(f"/v1/articles/{id_}").json()
        text = " ".join(filter(None, [article["title"], article["teaser"], article["body"]]))
        if word.search(text):
            at = datetime.fromisoformat(article["published_at"] or article["ingested_at"])
            keyed.append((at, id_))
    assert len(keyed) > 2 * window
    expected = [id_ for _, id_ in sorted(keyed, reverse=True)[:window]]
    assert sorted(flat(pages(api, q=COMMON, limit=2))) == sorted(expected)
    assert newest_first(api, COMMON)[:window] == expected


@pytest.mark.usefixtures("slices")
def test_kept_statements_answer_each_query(api: TestClient, window: int) -> None:
    """The window's probes and the hits' statement are built once and kept: each query that
    follows, with its own words, gets the window a date-sorted list finds for it, and its own
    snippets."""
    kb_search._window_probes.cache_clear()
    relevance._hits_statement.cache_clear()
    for q in [COMMON, "lukashenko", "fire OR church", "minister -said", COMMON]:
        items = flat(pages(api, q=q, limit=100))
        assert items, q
        assert sorted(items) == sorted(newest_first(api, q)[:window]), q
        hits = api.get("/v1/articles", params={"q": q, "limit": 100}).json()["items"]
        assert all("<mark>" in hit["snippet"] for hit in hits), q
    assert kb_search._window_probes.cache_info().hits >= 4
    assert relevance._hits_statement.cache_info().hits >= 4


def test_search_says_the_window_left_matches_out(api: TestClient, window: int) -> None:
    result = api.get("/v1/search", params={"q": COMMON, "limit": 2}).json()
    assert result["articles"]["complete"] is False
    assert result["articles"]["total"] == window
    facets = result["facets"]
    assert facets["complete"] is False
    assert facets["articles_counted"] == window


def test_search_says_when_every_match_is_counted(api: TestClient, window: int) -> None:
    result = api.get("/v1/search", params={"q": "lukashenko"}).json()
    assert result["articles"]["complete"] is True
    assert result["articles"]["total"] == 1
    assert result["facets"]["complete"] is True
    assert result["facets"]["articles_counted"] == 1


def test_facets_count_the_window(api: TestClient, window: int) -> None:
    newest = api.get(
        "/v1/articles", params={"q": COMMON, "sort": "-published_at", "limit": window}
    ).json()["items"]
    facets = api.get("/v1/search", params={"q": COMMON}).json()["facets"]
    sources = Counter(i["source"]["name"] for i in newest if i["source"])
    sections = Counter(i["section"] for i in newest if i["section"])
    years = Counter(i["published_at"][:4] for i in newest if i["published_at"])
    assert {f["value"]: f["count"] for f in facets["sources"]} == sources
    assert {f["value"]: f["count"] for f in facets["sections"]} == sections
    assert {f["value"]: f["count"] for f in facets["years"]} == years
    assert sum(f["count"] for f in facets["sources"]) == window


def test_without_window_facets_count_every_match(api: TestClient) -> None:
    result = api.get("/v1/search", params={"q": COMMON}).json()
    matches = newest_first(api, COMMON)
    assert result["articles"]["complete"] is True
    assert result["articles"]["total"] == len(matches)
    assert sum(f["count"] for f in result["facets"]["sources"]) == len(matches)


@pytest.fixture
def undated_among_dated(corpus: Corpus, corpus_session: Session) -> None:
    """Undated articles sort by ingest time: move some amid the dated ones (2000s, 2021)."""
    assert len(corpus.undated_ids) >= 2
    for day, id_ in zip(("2005-03-01", "2021-09-12"), corpus.undated_ids, strict=False):
        corpus_session.execute(
            update(Article)
            .where(Article.id == id_)
            .values(created_at=datetime.fromisoformat(f"{day}T12:00:00+00:00"))
        )
    corpus_session.flush()


@pytest.mark.usefixtures("undated_among_dated")
@pytest.mark.parametrize(
    "params",
    [
        {"q": COMMON},
        {"q": "lukashenko"},
        {"q": "fire OR church"},
        {"q": COMMON, "section": "Politics"},
        {},  # no query: the plain newest-first list
    ],
    ids=["common", "rare", "or", "filtered", "no-query"],
)
def test_date_slices_list_the_same_pages(
    api: TestClient, monkeypatch: pytest.MonkeyPatch, params: dict[str, Any]
) -> None:
    monkeypatch.setattr(newest, "SLICED_DIALECTS", frozenset())
    whole = flat(pages(api, **params, sort="-published_at", limit=100))
    monkeypatch.setattr(newest, "SLICED_DIALECTS", frozenset({"sqlite", "postgresql"}))
    monkeypatch.setattr(newest, "FIRST_SLICE_PER_ROW", 1)
    monkeypatch.setattr(newest, "MIN_FIRST_SLICE", 1)
    monkeypatch.setattr(newest, "MAX_SLICE_PER_ROW", 1000)
    monkeypatch.setattr(newest, "SLICE_MARGIN", 1.0)
    for limit in (1, 3, 100):
        assert flat(pages(api, **params, sort="-published_at", limit=limit)) == whole


@pytest.mark.usefixtures("undated_among_dated")
def test_date_slices_find_the_same_window(
    api: TestClient, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    whole = api.get("/v1/search", params={"q": COMMON}).json()
    monkeypatch.setattr(newest, "SLICED_DIALECTS", frozenset({"sqlite", "postgresql"}))
    monkeypatch.setattr(newest, "FIRST_SLICE_PER_ROW", 1)
    monkeypatch.setattr(newest, "MIN_FIRST_SLICE", 1)
    sliced = api.get("/v1/search", params={"q": COMMON}).json()
    assert sliced["articles"] == whole["articles"]
    assert sliced["facets"] == whole["facets"]


def test_a_rare_word_reads_the_rest_at_once(
    api: TestClient, slices: None, monkeypatch: pytest.MonkeyPatch, corpus: Corpus
) -> None:
    """Past MAX_SLICE the last probe has no lower date: a rare word is not walked slice by
    slice through the whole date index."""
    monkeypatch.setattr(newest, "MAX_SLICE", 2)
    assert flat(pages(api, q="lukashenko", sort="-published_at")) == [corpus.seed_id]


@pytest.mark.parametrize("sort", ["relevance", "-published_at"])
def test_sliced_probes_read_no_large_table_in_full(
    api: TestClient,
    slices: None,
    planner: Connection,  # noqa: F811  (the fixture imported above)
    window: int,
    sort: str,
) -> None:
    """As ``test_explain``: each slice ANDs the full-text and date indexes."""
    statements = plans_of(api, planner, f"/v1/articles?q={COMMON}&sort={sort}&limit=2")
    assert sum("OFFSET" in s for s in statements) >= 1  # it did slice
    scans = {s: found for s, found in statements.items() if found}
    assert not scans, "\n\n".join(f"{found}\n{s}" for s, found in scans.items())


@pytest.mark.usefixtures("undated_among_dated")
@pytest.mark.parametrize("share", [1.0, 0.5, 0.01])
@pytest.mark.parametrize("q", [COMMON, "lukashenko", "fire OR church"])
def test_the_estimate_only_sizes_the_slices(
    api: TestClient, window: int, monkeypatch: pytest.MonkeyPatch, q: str, share: float
) -> None:
    """Whatever the planner's estimate of the matching share says, the window, its ranking
    and its facets are the same (sliced on both backends)."""
    whole = api.get("/v1/search", params={"q": q}).json()
    monkeypatch.setattr(newest, "SLICED_DIALECTS", frozenset({"sqlite", "postgresql"}))
    monkeypatch.setattr(relevance.Match, "share", lambda self, session: share)
    sliced = api.get("/v1/search", params={"q": q}).json()
    assert sliced["articles"] == whole["articles"]
    assert sliced["facets"] == whole["facets"]


def _record_slices(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the date slices the window probes, in order, as they are asked for."""
    spans: list[int] = []
    nth = newest._nth_newest_date

    def spy(session: Session, n: int, upper: datetime | None, inclusive: bool) -> Any:
        spans.append(n)
        return nth(session, n, upper, inclusive)

    monkeypatch.setattr(newest, "_nth_newest_date", spy)
    prepare = newest._prepare  # PostgreSQL reads the first slice's bound with its settings

    def spy_first(session: Session, n: int | None, upper: datetime | None, inclusive: bool) -> Any:
        if n is not None:
            spans.append(n)
        return prepare(session, n, upper, inclusive)

    monkeypatch.setattr(newest, "_prepare", spy_first)
    return spans


def test_a_dense_word_gets_a_smaller_first_slice(
    api: TestClient, corpus_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's estimate for a word in most articles sizes the window's first slice to
    about the window, not to ``FIRST_SLICE_PER_ROW`` times it."""
    if corpus_session.get_bind().dialect.name != "postgresql":
        pytest.skip("the estimate is PostgreSQL's planner's; SQLite reads every row at once")
    corpus_session.execute(text("ANALYZE articles"))
    spans = _record_slices(monkeypatch)
    assert api.get("/v1/articles", params={"q": COMMON}).status_code == 200
    assert spans and spans[0] < newest.FIRST_SLICE_PER_ROW * (kb_search.WINDOW + 1) / 4


def test_many_older_rows_get_a_wider_slice(
    api: TestClient, corpus_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_SLICE, the next probe is still a slice when the rows left are estimated to
    cost more to read at once (PostgreSQL's count of articles); the pages are the same."""
    if corpus_session.get_bind().dialect.name != "postgresql":
        pytest.skip("the estimate of the articles is PostgreSQL's (pg_class.reltuples)")
    corpus_session.execute(text("ANALYZE articles"))
    whole = newest_first(api, COMMON)
    monkeypatch.setattr(newest, "FIRST_SLICE_PER_ROW", 1)
    monkeypatch.setattr(newest, "MIN_FIRST_SLICE", 1)
    monkeypatch.setattr(newest, "MAX_SLICE", 6)  # the first slice of a page of 5 (+1)
    spans = _record_slices(monkeypatch)
    sliced: dict[int, int] = {}
    for per_match in (0, 1000):
        monkeypatch.setattr(newest, "SLICE_PER_MATCH", per_match)
        spans.clear()
        assert flat(pages(api, q=COMMON, sort="-published_at", limit=5)) == whole
        sliced[per_match] = len(spans)
    assert sliced[1000] > sliced[0], sliced

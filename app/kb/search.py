"""Full-text article search (FTS5 | tsvector) with filters, relevance, snippets and facets."""

from __future__ import annotations

import hashlib
import html
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Double,
    Integer,
    Select,
    String,
    cast,
    exists,
    func,
    literal,
    literal_column,
    select,
    table,
    union_all,
)
from sqlalchemy.orm import Session, selectinload

from app.db.base import UTCDateTime
from app.db.models import Article, Mention, Source
from app.errors import InvalidQuery
from app.kb import webquery
from app.kb.articles import sort_time
from app.kb.pagination import CursorCodec, Page, SortKey, keyset_page

SORTS = ("-published_at", "published_at", "relevance")
START, STOP = "\ue000", "\ue001"  # private-use markers, turned into <mark> after escaping
_fts = table("articles_fts")
_FTS: ColumnElement[Any] = literal_column("articles_fts")
_VECTOR: ColumnElement[Any] = literal_column("articles.search_vector")
_HEADLINE = (
    f'StartSel="{START}", StopSel="{STOP}", MaxWords=35, MinWords=15, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)


@dataclass(frozen=True)
class ArticleFilters:
    """Filters that combine with each other and with the query (all must hold)."""

    entity_ids: tuple[int, ...] = ()
    source: str | None = None
    section: str | None = None
    tag: str | None = None
    published_from: date | None = None
    published_to: date | None = None
    language: str | None = None


@dataclass(frozen=True)
class ArticleHit:
    article: Article
    score: float | None = None
    snippet: str | None = None


@dataclass(frozen=True)
class Facet:
    value: str
    count: int


class _Match:
    """The dialect's way to match, rank and highlight one parsed query."""

    def __init__(self, session: Session, query: webquery.WebQuery) -> None:
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        if self.sqlite:
            self.expression: Any = literal(query.fts5())
            self.rank: ColumnElement[float] = func.bm25(_FTS, 10.0, 5.0, 1.0)
        else:
            self.expression = func.websearch_to_tsquery(
                literal_column("'english'::regconfig"), literal(query.websearch())
            )
            # float4 → float8, so the score printed in a cursor compares back exactly.
            self.rank = cast(func.ts_rank_cd(_VECTOR, self.expression), Double)

    def apply(self, statement: Select[Any]) -> Select[Any]:
        if self.sqlite:
            return statement.join(_fts, literal_column("articles_fts.rowid") == Article.id).where(
                _FTS.op("MATCH")(self.expression)
            )
        return statement.where(_VECTOR.op("@@")(self.expression))

    def score(self) -> ColumnElement[float]:
        """Higher is better on both backends (FTS5's bm25 is lower-is-better)."""
        return -self.rank if self.sqlite else self.rank

    def snippets(self, session: Session, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        if self.sqlite:
            statement = self.apply(
                select(Article.id, func.snippet(_FTS, -1, START, STOP, " … ", 32))
            )
        else:
            statement = select(
                Article.id,
                func.ts_headline(
                    literal_column("'english'::regconfig"),
                    Article.body,
                    self.expression,
                    literal(_HEADLINE),
                ),
            )
        rows = session.execute(statement.where(Article.id.in_(ids)))
        return {id_: _mark(text) for id_, text in rows}


def _mark(text: str | None) -> str:
    """Escape the snippet for HTML, then highlight the matches with ``<mark>``."""
    escaped = html.escape(text or "", quote=False)
    return escaped.replace(START, "<mark>").replace(STOP, "</mark>")


def filtered(statement: Select[Any], filters: ArticleFilters, dialect: str) -> Select[Any]:
    for entity_id in filters.entity_ids:
        statement = statement.where(
            Article.id.in_(select(Mention.article_id).where(Mention.entity_id == entity_id))
        )
    if filters.source:
        statement = statement.where(
            Article.source_id.in_(
                select(Source.id).where(func.lower(Source.name) == filters.source.lower())
            )
        )
    if filters.section:
        statement = statement.where(func.lower(Article.section) == filters.section.lower())
    if filters.language:
        statement = statement.where(Article.language == filters.language.lower())
    if filters.tag:
        statement = statement.where(_has_tag(filters.tag, dialect))
    if filters.published_from:
        statement = statement.where(Article.published_at >= _day(filters.published_from))
    if filters.published_to and filters.published_to < date.max:  # date.max: no bound
        statement = statement.where(
            Article.published_at < _day(filters.published_to + timedelta(days=1))
        )
    return statement


def _day(day: date) -> ColumnElement[datetime]:
    return literal(datetime.combine(day, time(), tzinfo=UTC), UTCDateTime)


def _has_tag(tag: str, dialect: str) -> ColumnElement[bool]:
    """Case-insensitive membership in the JSON ``tags`` list, on both backends."""
    each = func.json_each if dialect == "sqlite" else func.json_array_elements_text
    values = each(Article.tags).table_valued("value")
    return exists(
        select(literal(1)).select_from(values).where(func.lower(values.c.value) == tag.lower())
    )


def search_articles(
    session: Session,
    *,
    q: str | None,
    filters: ArticleFilters,
    sort: str | None,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
) -> Page[ArticleHit]:
    """Articles matching the query and filters; by relevance when there is a query.

    Every order is keyset-paginated, relevance included: the cursor holds the last score and
    id (scores are floats that round-trip exactly through JSON).
    """
    parsed = webquery.parse(q) if q and q.strip() else None
    sort = sort or ("relevance" if parsed else "-published_at")
    if sort == "relevance" and parsed is None:
        raise InvalidQuery("`sort=relevance` needs a query `q`.")
    dialect = session.get_bind().dialect.name
    match = _Match(session, parsed) if parsed else None
    score: ColumnElement[Any] = match.score() if match else literal(None)
    statement = filtered(
        select(Article, score.label("score")).options(selectinload(Article.source)),
        filters,
        dialect,
    )
    if match:
        statement = match.apply(statement)
    if sort == "relevance":
        assert match is not None
        keys = [
            SortKey(match.rank, descending=not match.sqlite, parse=float),
            SortKey(Article.id, parse=int),
        ]
        rank_sign = -1.0 if match.sqlite else 1.0

        def values(row: Any) -> tuple[Any, ...]:
            return (row.score * rank_sign, row.Article.id)
    else:
        descending = sort.startswith("-")
        keys = [
            SortKey(sort_time, descending=descending, parse=datetime.fromisoformat, dump=_iso),
            SortKey(Article.id, descending=descending, parse=int),
        ]

        def values(row: Any) -> tuple[Any, ...]:
            return (row.Article.published_at or row.Article.created_at, row.Article.id)

    page = keyset_page(
        session,
        statement,
        scope=f"articles:{sort}:{_fingerprint(parsed, filters)}",
        keys=keys,
        row_values=values,
        limit=limit,
        cursor=cursor,
        codec=codec,
        rows=True,
    )
    snippets = match.snippets(session, [r.Article.id for r in page.items]) if match else {}
    hits = [ArticleHit(r.Article, r.score, snippets.get(r.Article.id)) for r in page.items]
    return Page(hits, page.next_cursor)


def _iso(value: datetime) -> str:
    return value.isoformat()


def _fingerprint(parsed: webquery.WebQuery | None, filters: ArticleFilters) -> str:
    """A short digest of the query and filters, so a cursor only continues its own list."""
    text = repr((parsed.cache_key() if parsed else None, filters))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def article_facets(
    session: Session, q: str | None, filters: ArticleFilters
) -> dict[str, list[Facet]]:
    """Counts of matching articles by source, section and published year, top 50 of each.

    One statement: the matches are read once (a CTE) and grouped three ways, instead of three
    queries that each re-ran the search and joined it back to ``articles``.
    """
    dialect = session.get_bind().dialect.name
    year = cast(func.extract("year", Article.published_at), Integer)
    columns = typing.cast(
        "Select[Any]", select(Article.source_id, Article.section, year.label("year"))
    )
    matches = filtered(columns, filters, dialect)
    if q and q.strip():
        matches = _Match(session, webquery.parse(q)).apply(matches)
    found = matches.cte("matches")
    count = func.count().label("n")
    groups = [
        select(literal("sources"), cast(Source.name, String), count)
        .select_from(found.join(Source, Source.id == found.c.source_id))
        .group_by(Source.name),
        select(literal("sections"), cast(found.c.section, String), count)
        .where(found.c.section.is_not(None))
        .group_by(found.c.section),
        select(literal("years"), cast(found.c.year, String), count)
        .where(found.c.year.is_not(None))
        .group_by(found.c.year),
    ]
    facets: dict[str, list[Facet]] = {"sources": [], "sections": [], "years": []}
    for name, value, n in session.execute(union_all(*groups)):
        facets[name].append(Facet(str(value), n))
    return {
        name: sorted(values, key=lambda f: (-f.count, _order(name, f.value)))[:50]
        for name, values in facets.items()
    }


def _order(name: str, value: str) -> Any:
    """Years sort as numbers, names as the database's binary collation (code points)."""
    return int(value) if name == "years" else value

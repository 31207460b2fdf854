"""Full-text article search (FTS5 | tsvector) with filters, relevance and snippets.

Relevance and facets (``app.kb.facets``) look at a bounded **window**: the ``WINDOW`` newest
matches, i.e. the first ``WINDOW`` articles of the ``sort=-published_at`` list. Ranking every
match read every match's ``tsvector`` (TOASTed: a page or more each) and facets grouped every
match, so both grew with the corpus; bounding the work per query is Elasticsearch's rescore
window and ``track_total_hits`` trade, and the answer says when the window left matches out.
Newest-first pages and the window are read in date slices (``app.kb.newest``), so a common
word reads about as many rows as it returns; scores and snippets are computed for the page's
rows only.
"""

from __future__ import annotations

import hashlib
import html
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Double,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, selectinload

from app.db.base import UTCDateTime
from app.db.models import Article, Mention, Source
from app.errors import InvalidCursor, InvalidQuery
from app.kb import webquery
from app.kb.articles import sort_time
from app.kb.newest import SortKey as NewestKey
from app.kb.newest import newest_rows, not_older_than
from app.kb.pagination import CursorCodec, Page, SortKey, keyset_page

SORTS = ("-published_at", "published_at", "relevance")
# Relevance ranks, and facets count, at most this many matches: the newest ones.
WINDOW = 1_000
START, STOP = "\ue000", "\ue001"  # private-use markers, turned into <mark> after escaping
_fts = table("articles_fts")
_FTS: ColumnElement[Any] = literal_column("articles_fts")
_VECTOR: ColumnElement[Any] = literal_column("articles.search_vector")
_INT_ARRAY = postgresql.ARRAY(Integer)
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


class WindowRow(NamedTuple):
    id: int
    sort_time: datetime
    source_id: int | None
    section: str | None
    published_at: datetime | None


@dataclass(frozen=True)
class Window:
    """The newest matches of a query and filters, newest first: at most ``WINDOW`` of them."""

    rows: tuple[WindowRow, ...] = field(repr=False)
    complete: bool  # every match is in ``rows``

    @property
    def bound(self) -> tuple[datetime, int] | None:
        """The oldest row's sort key when matches were left out; None when none were."""
        if self.complete or not self.rows:
            return None
        return self.rows[-1].sort_time, self.rows[-1].id


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

    def details(self, session: Session, ids: Sequence[int]) -> dict[int, tuple[float, str]]:
        """Score and highlighted snippet of each of ``ids`` (a page: the only rows that pay
        for ``ts_headline``, and for ``ts_rank_cd`` in date order)."""
        if not ids:
            return {}
        if self.sqlite:
            statement = self.apply(
                select(
                    Article.id,
                    self.score(),
                    func.snippet(_FTS, -1, START, STOP, " … ", 32),
                )
            )
        else:
            statement = select(
                Article.id,
                self.score(),
                func.ts_headline(
                    literal_column("'english'::regconfig"),
                    Article.body,
                    self.expression,
                    literal(_HEADLINE),
                ),
            )
        rows = session.execute(statement.where(Article.id.in_(ids)))
        return {id_: (score, _mark(text)) for id_, score, text in rows}


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


def match_window(session: Session, *, q: str | None, filters: ArticleFilters) -> Window:
    """The window of a query and filters: their ``WINDOW`` newest matches, or all of them."""
    columns = (Article.id, sort_time, Article.source_id, Article.section, Article.published_at)
    rows = [WindowRow(*row) for row in _newest_matches(session, _parse(q), filters, columns)]
    return Window(tuple(rows[:WINDOW]), complete=len(rows) <= WINDOW)


def _window_ids(
    session: Session, parsed: webquery.WebQuery, filters: ArticleFilters
) -> tuple[list[int], NewestKey | None]:
    """The window's ids and bound, without the columns facets need (parsing a thousand
    rows' dates and names costs milliseconds)."""
    rows = _newest_matches(session, parsed, filters, (Article.id, sort_time))
    bound = (rows[WINDOW - 1][1], rows[WINDOW - 1][0]) if len(rows) > WINDOW else None
    return [row[0] for row in rows[:WINDOW]], bound


def _newest_matches(
    session: Session,
    parsed: webquery.WebQuery | None,
    filters: ArticleFilters,
    columns: tuple[Any, ...],
) -> list[Any]:
    """Up to ``WINDOW + 1`` newest matches (one more tells whether the window is complete)."""
    dialect = session.get_bind().dialect.name
    statement = filtered(typing.cast("Select[Any]", select(*columns)), filters, dialect)
    if parsed:
        statement = _Match(session, parsed).apply(statement)
    return newest_rows(session, statement, WINDOW + 1)


def search_articles(
    session: Session,
    *,
    q: str | None,
    filters: ArticleFilters,
    sort: str | None,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
    window: Window | None = None,
) -> Page[ArticleHit]:
    """Articles matching the query and filters; by relevance when there is a query.

    Relevance orders the window (``match_window``; pass ``window`` if already computed) and
    the list ends with it; date orders list every match. Every order is keyset-paginated: a
    relevance cursor holds the last score and id (floats round-trip exactly through JSON) and
    the window's bound, so later pages rank the same window without looking for it again.
    """
    parsed = _parse(q)
    sort = sort or ("relevance" if parsed else "-published_at")
    if sort == "relevance" and parsed is None:
        raise InvalidQuery("`sort=relevance` needs a query `q`.")
    dialect = session.get_bind().dialect.name
    match = _Match(session, parsed) if parsed else None
    scope = f"articles:{sort}:{_fingerprint(parsed, filters)}"
    statement = filtered(select(Article).options(selectinload(Article.source)), filters, dialect)
    if match:
        statement = match.apply(statement)
    if parsed and match and sort == "relevance":
        ids: list[int] | None = None
        bound = None
        if cursor is None:  # else the cursor holds the bound
            if window:
                ids, bound = [row.id for row in window.rows], window.bound
            else:
                ids, bound = _window_ids(session, parsed, filters)
        if ids is not None and not match.sqlite:
            # The window's ids imply the query and filters: rank them without reading the
            # full-text index again (FTS5 needs its MATCH to compute bm25). One array
            # parameter, not a thousand: psycopg parses a new statement text per list length.
            statement = select(Article).options(selectinload(Article.source))
            statement = statement.where(Article.id == any_(bindparam("ids", ids, _INT_ARRAY)))
        page = _relevance_page(
            session,
            statement,
            match,
            scope=scope,
            limit=limit,
            cursor=cursor,
            codec=codec,
            bound=bound,
        )
    elif sort == "-published_at":
        page = _newest_page(
            session, statement, scope=scope, limit=limit, cursor=cursor, codec=codec
        )
    else:
        page = keyset_page(
            session,
            statement,
            scope=scope,
            keys=[
                SortKey(sort_time, parse=datetime.fromisoformat, dump=_iso),
                SortKey(Article.id, parse=int),
            ],
            row_values=_sort_key,
            limit=limit,
            cursor=cursor,
            codec=codec,
            rows=True,
        )
    articles = [row.Article for row in page.items]
    details = match.details(session, [a.id for a in articles]) if match else {}
    hits = [ArticleHit(a, *details.get(a.id, (None, None))) for a in articles]
    return Page(hits, page.next_cursor)


def _parse(q: str | None) -> webquery.WebQuery | None:
    return webquery.parse(q) if q and q.strip() else None


def _sort_key(row: Any) -> NewestKey:
    return (row.Article.published_at or row.Article.created_at, row.Article.id)


def _newest_page(
    session: Session,
    statement: Select[Any],
    *,
    scope: str,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
) -> Page[Any]:
    """A newest-first page, read in date slices (the cursor is ``[sort time, id]``)."""
    after: NewestKey | None = None
    if cursor:
        values = codec.decode(scope, cursor)
        try:
            at, id_ = values
            after = (datetime.fromisoformat(at), int(id_))
        except (TypeError, ValueError) as exc:
            raise InvalidCursor("The cursor does not fit this list.") from exc
    found = newest_rows(session, statement, limit + 1, after=after)
    if len(found) <= limit:
        return Page(found, None)
    at, id_ = _sort_key(found[limit - 1])
    return Page(found[:limit], codec.encode(scope, [_iso(at), id_]))


def _relevance_page(
    session: Session,
    statement: Select[Any],
    match: _Match,
    *,
    scope: str,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
    bound: NewestKey | None,
) -> Page[Any]:
    """One page of the window by score (higher first), then id.

    The cursor is ``[rank, id, bound time, bound id]``: the bound keeps later pages on the
    window of the first one, even if newer articles were ingested since.
    """
    statement = statement.add_columns(match.rank.label("rank"))
    if cursor:
        rank, last_id, bound = _decode_relevance(codec, scope, cursor)
        # The cursor holds the raw rank: FTS5's bm25 is lower-is-better, ts_rank_cd higher.
        worse = match.rank > rank if match.sqlite else match.rank < rank
        statement = statement.where(or_(worse, and_(match.rank == rank, Article.id > last_id)))
    if bound is not None:
        statement = statement.where(not_older_than(bound))
    order = match.rank.asc() if match.sqlite else match.rank.desc()
    found = list(session.execute(statement.order_by(order, Article.id.asc()).limit(limit + 1)))
    if len(found) <= limit:
        return Page(found, None)
    last = found[limit - 1]
    kept = [_iso(bound[0]), bound[1]] if bound else [None, None]
    return Page(found[:limit], codec.encode(scope, [last.rank, last.Article.id, *kept]))


def _decode_relevance(
    codec: CursorCodec, scope: str, cursor: str
) -> tuple[float, int, NewestKey | None]:
    values = codec.decode(scope, cursor)
    try:
        rank, last_id, bound_at, bound_id = values
        bound = None if bound_at is None else (datetime.fromisoformat(bound_at), int(bound_id))
        return float(rank), int(last_id), bound
    except (TypeError, ValueError) as exc:
        raise InvalidCursor("The cursor does not fit this list.") from exc


def _iso(value: datetime) -> str:
    return value.isoformat()


def _fingerprint(parsed: webquery.WebQuery | None, filters: ArticleFilters) -> str:
    """A short digest of the query and filters, so a cursor only continues its own list."""
    text = repr((parsed.cache_key() if parsed else None, filters))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

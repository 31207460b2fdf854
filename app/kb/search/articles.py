"""Full-text article search (FTS5 | tsvector) with filters, relevance and snippets.

Relevance and facets (``app.kb.search.facets``) look at a bounded **window**: the ``WINDOW`` newest
matches, i.e. the first ``WINDOW`` articles of the ``sort=-published_at`` list. Ranking every
match read every match's ``tsvector`` (TOASTed: a page or more each) and facets grouped every
match, so both grew with the corpus; bounding the work per query is Elasticsearch's rescore
window and ``track_total_hits`` trade, and the answer says when the window left matches out.
Newest-first pages and the window are read in date slices (``app.kb.search.newest``), so a common
word reads about as many rows as it returns. The window is read with its ranks, and every
order finds the page's ids before reading the page's articles, with their snippets
(``app.kb.search.relevance``).
"""

from __future__ import annotations

import functools
import hashlib
import typing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Select,
    cast,
    exists,
    extract,
    func,
    literal,
    null,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from app.db.base import UTCDateTime, as_utc
from app.db.models import Article, ArticleDuplicate, Mention, Source
from app.errors import InvalidCursor, InvalidQuery
from app.kb.articles import sort_time
from app.kb.search import webquery
from app.kb.search.newest import Probes, newest_rows
from app.kb.search.newest import SortKey as NewestKey
from app.kb.search.relevance import (
    PLACEHOLDER,
    SUMMARY_COLUMNS,
    ArticleHit,
    Match,
    first_page,
    ranked_page,
    summary,
    with_source,
)
from app.kb.sql.idlist import ids_in, linked_to_all
from app.kb.sql.pagination import (
    CURSOR_ERRORS,
    CursorCodec,
    Page,
    SortKey,
    cursor_datetime,
    cursor_int,
    keyset_page,
)

SORTS = ("-published_at", "published_at", "relevance")
# Relevance ranks, and facets count, at most this many matches: the newest ones.
WINDOW = 1_000


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
    # collapse=duplicates: leave out the later copies of a story (app.kb.duplicates).
    collapse_duplicates: bool = False


@dataclass(frozen=True)
class Facet:
    value: str
    count: int


class WindowRow(NamedTuple):
    """A window row as relevance needs it; ``rank`` is the query's raw rank (FTS5's bm25 is
    lower-is-better), None without a query. ``sort_time`` is the driver's value, not yet made
    a UTC datetime (``Window.bound`` makes the one it needs one)."""

    id: int
    sort_time: datetime
    rank: float | None


class FacetRow(NamedTuple):
    """A window row as facets count it (``match_window``); ``year``: of ``published_at`` in
    UTC, None when undated."""

    id: int
    sort_time: datetime
    source_id: int | None
    section: str | None
    year: int | None
    rank: float | None


R = TypeVar("R", WindowRow, FacetRow)


@dataclass(frozen=True)
class Window(Generic[R]):
    """The newest matches of a query and filters, newest first: at most ``WINDOW`` of them.

    Rows are named tuples, not the result's rows: a thousand rows' fields are read a few
    times each, and a result row looks each name up.
    """

    rows: tuple[R, ...] = field(repr=False)
    complete: bool  # every match is in ``rows``

    @property
    def bound(self) -> NewestKey | None:
        """The oldest row's sort key when matches were left out; None when none were."""
        if self.complete or not self.rows:
            return None
        return typing.cast(datetime, as_utc(self.rows[-1].sort_time)), self.rows[-1].id


def filtered(statement: Select[Any], filters: ArticleFilters, dialect: str) -> Select[Any]:
    if filters.entity_ids:
        statement = statement.where(
            Article.id.in_(
                linked_to_all(Mention.article_id, Mention.entity_id, filters.entity_ids, dialect)
            )
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
    if filters.collapse_duplicates:
        statement = statement.where(~Article.id.in_(select(ArticleDuplicate.article_id)))
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


# The window's columns. Its dates are read as the driver gives them and only the bound's is
# made a UTC datetime: ``UTCDateTime`` converting two dates in each of a thousand rows cost
# about as much CPU as the rest of reading them. The facets' year is computed in SQL (UTC).
_AS_READ = DateTime(timezone=True)  # ``UTCDateTime``'s own type, without its conversion
_WINDOW_COLUMNS: dict[str, Any] = {
    "id": Article.id,
    "sort_time": type_coerce(sort_time, _AS_READ).label("sort_time"),
    "source_id": Article.source_id,
    "section": Article.section,
}


def _window_column(name: str, dialect: str) -> Any:
    if name == "year":  # stored in UTC: SQLite holds the UTC text, PostgreSQL a timestamptz
        at = (
            Article.published_at
            if dialect == "sqlite"
            else func.timezone("UTC", Article.published_at)
        )
        return cast(extract("year", at), Integer).label("year")
    return _WINDOW_COLUMNS[name]


def match_window(session: Session, *, q: str | None, filters: ArticleFilters) -> Window[FacetRow]:
    """The window of a query and filters, with the columns facets count."""
    return _window(session, _parse(q), filters, FacetRow)


def _window(
    session: Session,
    parsed: webquery.WebQuery | None,
    filters: ArticleFilters,
    row: type[R],
    *,
    match: Match | None = None,
) -> Window[R]:
    """The ``WINDOW`` newest matches, or all of them, ranked when there is a query; one more
    row is read to tell whether the window is complete. Only the ``row``'s columns are read:
    parsing a thousand rows' dates and names costs milliseconds."""
    dialect = session.get_bind().dialect.name
    share, params = None, {}
    if parsed:
        match = match or Match(dialect, parsed)
        params = match.params
        # Filters lower the share of the words alone: it would cut the first slice too short.
        share = match.share(session) if filters == ArticleFilters() else None
    probes = _window_probes(dialect, row._fields, filters, parsed is not None)
    rows = newest_rows(session, probes, WINDOW + 1, share=share, params=params)
    return Window(tuple(map(row._make, rows[:WINDOW])), complete=len(rows) <= WINDOW)


@functools.lru_cache(maxsize=256)
def _window_probes(
    dialect: str, fields: tuple[str, ...], filters: ArticleFilters, with_query: bool
) -> Probes:
    """The window's probes for a shape of request, kept: a query's words are a bound
    parameter (``Match.params``), so the statements built with this placeholder query answer
    every query with these filters."""
    columns = [_window_column(name, dialect) for name in fields if name != "rank"]
    statement = filtered(typing.cast("Select[Any]", select(*columns)), filters, dialect)
    if not with_query:
        return Probes(statement.add_columns(null().label("rank")))
    match = Match(dialect, PLACEHOLDER, named=True)
    statement, wrap = match.ranked(match.apply(statement))
    return Probes(statement, wrap=wrap)


def search_articles(
    session: Session,
    *,
    q: str | None,
    filters: ArticleFilters,
    sort: str | None,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
    window: Window[Any] | None = None,
) -> Page[ArticleHit]:
    """Articles matching the query and filters; by relevance when there is a query.

    Relevance orders the window (``match_window``; pass ``window`` if already computed) and
    the list ends with it; date orders list every match. Every order is keyset-paginated: a
    relevance cursor holds the last score and id (floats round-trip exactly through JSON) and
    the window's bound, so later pages rank the same window without looking for it again.
    Each order finds the page's ids first; only the page's articles are read whole.
    """
    parsed = _parse(q)
    sort = sort or ("relevance" if parsed else "-published_at")
    if sort == "relevance" and parsed is None:
        raise InvalidQuery("`sort=relevance` needs a query `q`.")
    dialect = session.get_bind().dialect.name
    match = Match(dialect, parsed) if parsed else None
    scope = f"articles:{sort}:{_fingerprint(parsed, filters)}"
    page: Page[Any]
    if match and sort == "relevance" and cursor is None:  # the window, ranked; no statement
        window = window or _window(session, parsed, filters, WindowRow, match=match)
        page = first_page(
            match, window.rows, bound=window.bound, scope=scope, limit=limit, codec=codec
        )
        page_ids = [row.id for row in page.items]
        return Page(match.hits(session, page_ids), page.next_cursor)
    columns = typing.cast("Select[Any]", select(Article.id, sort_time.label("sort_time")))
    statement = filtered(columns, filters, dialect)
    if match:
        statement = match.apply(statement)
    if match and sort == "relevance" and cursor is not None:  # it holds the window's bound
        page = ranked_page(
            session, match, statement, scope=scope, limit=limit, cursor=cursor, codec=codec
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
                SortKey(sort_time, parse=cursor_datetime, dump=_iso),
                SortKey(Article.id),
            ],
            row_values=_sort_key,
            limit=limit,
            cursor=cursor,
            codec=codec,
            rows=True,
        )
    page_ids = [row.id for row in page.items]
    hits = match.hits(session, page_ids) if match else _articles(session, page_ids, dialect)
    return Page(hits, page.next_cursor)


def _articles(session: Session, ids: list[int], dialect: str) -> list[ArticleHit]:
    """The articles of ``ids`` in that order (those deleted meanwhile left out)."""
    if not ids:
        return []
    statement = typing.cast("Select[Any]", select(*SUMMARY_COLUMNS))
    statement = with_source(statement.where(ids_in(Article.id, ids, dialect)))
    found = {row.id: summary(row) for row in session.execute(statement)}
    return [ArticleHit(found[id_]) for id_ in ids if id_ in found]


def _parse(q: str | None) -> webquery.WebQuery | None:
    return webquery.parse(q) if q and q.strip() else None


def _sort_key(row: Any) -> NewestKey:
    return (row.sort_time, row.id)


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
            after = (cursor_datetime(at), cursor_int(id_))
        except CURSOR_ERRORS as exc:
            raise InvalidCursor("The cursor does not fit this list.") from exc
    found = newest_rows(session, Probes(statement, after=after), limit + 1)
    if len(found) <= limit:
        return Page(found, None)
    at, id_ = _sort_key(found[limit - 1])
    return Page(found[:limit], codec.encode(scope, [_iso(at), id_]))


def _iso(value: datetime) -> str:
    return value.isoformat()


def _fingerprint(parsed: webquery.WebQuery | None, filters: ArticleFilters) -> str:
    """A short digest of the query and filters, so a cursor only continues its own list."""
    text = repr((parsed.cache_key() if parsed else None, filters))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

"""How a parsed query matches, ranks and highlights articles (FTS5 | tsvector), and relevance
pages.

The window (``app.kb.search.articles``) is read with each row's rank, so a first page is the window
sorted by rank; later pages rank the window again in SQL from the cursor on. Either way only
the page's articles are then read whole, with their snippets: ranking whole article rows
carried every column of up to ``WINDOW`` candidates through the sort for a page of them.
"""

from __future__ import annotations

import functools
import heapq
import html
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Double,
    Select,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    outerjoin,
    select,
    table,
    text,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.db import fts
from app.db.models import Article, Source
from app.errors import InvalidCursor
from app.kb.search import webquery
from app.kb.search.newest import SortKey as NewestKey
from app.kb.search.newest import not_older_than
from app.kb.sql.idlist import INT_ARRAY
from app.kb.sql.pagination import (
    CURSOR_ERRORS,
    CursorCodec,
    Page,
    cursor_datetime,
    cursor_float,
    cursor_int,
)

WORDS = "words"  # the bound parameter of a query's words
START, STOP = "\ue000", "\ue001"  # private-use markers, turned into <mark> after escaping
_fts = table("articles_fts")
_FTS: ColumnElement[Any] = literal_column("articles_fts")
_VECTOR: ColumnElement[Any] = literal_column("articles.search_vector")
# ts_headline parses the whole text it is given, for every hit of a page: a snippet is found
# in the first 100,000 characters (a long article's later matches still rank it).
SNIPPET_SOURCE_CHARS = 100_000
_HEADLINE = (
    f'StartSel="{START}", StopSel="{STOP}", MaxWords=35, MinWords=15, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)


@dataclass(frozen=True)
class ArticleHit:
    article: dict[str, Any]  # what ``ArticleSummary`` shows, read by ``summaries``
    score: float | None = None
    snippet: str | None = None


# What a list shows of an article (``ArticleSummary``), read as Core rows, not ORM objects
# (whole articles, their bodies and an extra statement for their sources cost a list's hits
# more CPU than the search itself).
SUMMARY_COLUMNS = (
    Article.id,
    Article.url,
    Article.title,
    Article.teaser,
    Article.section,
    Article.tags,
    Article.published_at,
    Article.language,
    Article.word_count,
    Article.created_at.label("ingested_at"),
    Article.extractor_version,
    Source.name.label("source_name"),
    Source.domain.label("source_domain"),
)


def with_source(statement: Select[Any]) -> Select[Any]:
    """``statement`` (of ``SUMMARY_COLUMNS``) joined to the articles' sources."""
    return statement.select_from(outerjoin(Article, Source, Source.id == Article.source_id))


def summary(row: Any) -> dict[str, Any]:
    """An article's summary from a row of ``SUMMARY_COLUMNS``."""
    answer: dict[str, Any] = row._asdict()
    name, domain = answer.pop("source_name"), answer.pop("source_domain")
    answer["source"] = {"name": name, "domain": domain} if name is not None else None
    return answer


Wrap = Callable[[Select[Any]], Select[Any]]


class Ranked(NamedTuple):
    id: int
    rank: float  # the dialect's raw rank: FTS5's bm25 is lower-is-better, ts_rank_cd higher


# The planner's estimate of the articles that match some words, and of all articles, in one
# EXPLAIN (the two branches of a ``UNION ALL``). Plain text: compiling the whole search
# statement for its EXPLAIN cost more than the estimate saved. Articles are indexed with their
# language's configuration (migration 0014): a query is parsed with each configuration and
# matched against the articles of that configuration.
_READINGS = " OR ".join(
    f"({fts.language_condition('language', languages)} AND search_vector @@ "
    f"websearch_to_tsquery('{config}'::regconfig, :{WORDS}))"
    for config, languages in fts.query_configs().items()
)
_MATCHING = text(
    f"EXPLAIN (FORMAT JSON) SELECT 1 FROM articles WHERE {_READINGS}"
    " UNION ALL SELECT 1 FROM articles"
)


class Match:
    """The dialect's way to match, rank and highlight one parsed query.

    With ``named``, the query's words are the bound parameter ``WORDS``: a statement built so
    answers another query when executed with that query's ``params`` (how
    ``app.kb.search.articles`` keeps the window's statements). Otherwise they are an anonymous
    parameter of their own, so that statements holding several queries (a union of watches)
    keep each one's words.
    """

    def __init__(self, dialect: str, query: webquery.WebQuery, *, named: bool = False) -> None:
        self.sqlite = dialect == "sqlite"
        self.query = query
        self.named = named
        self.params = {WORDS: query.fts5() if self.sqlite else query.websearch()}

    # The expressions are built when a statement is: a search that runs only kept statements
    # (the window's, the hits') needs none of them.
    @functools.cached_property
    def _words(self) -> ColumnElement[str]:
        if self.named:
            return bindparam(WORDS, self.params[WORDS], String())
        return bindparam(None, self.params[WORDS], String(), unique=True)

    @functools.cached_property
    def readings(self) -> list[tuple[list[str] | None, ColumnElement[Any]]]:
        """Each text-search configuration's languages (None: every other) and its reading of
        the query (PostgreSQL)."""
        return [
            (
                languages,
                func.websearch_to_tsquery(literal_column(f"'{config}'::regconfig"), self._words),
            )
            for config, languages in fts.query_configs().items()
        ]

    @functools.cached_property
    def expression(self) -> Any:
        """FTS5's MATCH operand; on PostgreSQL each article's reading of the query (for its
        rank and its snippet)."""
        return self._words if self.sqlite else self.reading_for(Article.language)

    @functools.cached_property
    def rank(self) -> ColumnElement[float]:
        if self.sqlite:
            return func.bm25(_FTS, 10.0, 5.0, 1.0)
        # float4 → float8, so the score printed in a cursor compares back exactly.
        return cast(func.ts_rank_cd(_VECTOR, self.expression), Double)

    def reading_for(
        self, language: ColumnElement[str] | InstrumentedAttribute[str]
    ) -> ColumnElement[Any]:
        """The query as parsed with the configuration of the article's ``language``."""
        listed = [(language.in_(codes), tsquery) for codes, tsquery in self.readings if codes]
        fallback = next(tsquery for codes, tsquery in self.readings if codes is None)
        return case(*listed, else_=fallback)

    def condition(self) -> ColumnElement[bool]:
        """Some reading matches, each only on articles indexed with its configuration: one
        scan of that configuration's partial GIN index per reading (migration 0017), OR-ed by
        the planner. The language condition is written out, not bound, so that the planner
        proves each index's predicate, in a prepared statement's generic plan too."""
        return or_(
            *(
                and_(
                    literal_column(fts.language_condition("articles.language", codes), Boolean),
                    _VECTOR.op("@@")(tsquery),
                )
                for codes, tsquery in self.readings
            )
        )

    def apply(self, statement: Select[Any]) -> Select[Any]:
        if self.sqlite:
            return statement.join(_fts, literal_column("articles_fts.rowid") == Article.id).where(
                _FTS.op("MATCH")(self.expression)
            )
        return statement.where(self.condition())

    def share(self, session: Session) -> float | None:
        """PostgreSQL's estimate of the share of articles that match (None on SQLite): it
        sizes the first date slice of a window, so that a word in most articles does not
        read ten times the rows it needs."""
        if self.sqlite:
            return None
        connection = session.connection()
        plan = connection.execute(_MATCHING, self.params).scalar_one()
        branches = plan[0]["Plan"].get("Plans", [])  # the Append's: matches, all articles
        if len(branches) != 2 or float(branches[1]["Plan Rows"]) <= 0:
            return None
        matching, articles = (float(branch["Plan Rows"]) for branch in branches)
        return min(matching / articles, 1.0)

    def ranked(self, statement: Select[Any]) -> tuple[Select[Any], Wrap | None]:
        """``statement`` (with ``id`` and ``sort_time`` columns) plus a last column ``rank``,
        and the ``wrap`` for ``newest_rows`` that computes it.

        FTS5 computes bm25 beside its MATCH. PostgreSQL computes ``ts_rank_cd`` over each
        probe's kept rows: in the probe itself it would read the ``tsvector`` (TOASTed) of
        every match of the date slice, kept or not; a rank read afterwards by id would look
        up every kept row again.
        """
        if self.sqlite:
            return statement.add_columns(self.rank.label("rank")), None

        def wrap(probe: Select[Any]) -> Select[Any]:
            kept = probe.subquery()
            reading = self.reading_for(kept.c.search_language)
            rank = cast(func.ts_rank_cd(kept.c.vector, reading), Double)
            columns = [c for c in kept.c if c.key not in ("vector", "search_language")]
            return select(*columns, rank.label("rank")).order_by(
                kept.c.sort_time.desc(), kept.c.id.desc()
            )

        columns = (_VECTOR.label("vector"), Article.language.label("search_language"))
        return statement.add_columns(*columns), wrap

    def score(self) -> ColumnElement[float]:
        """Higher is better on both backends (FTS5's bm25 is lower-is-better)."""
        return -self.rank if self.sqlite else self.rank

    def hits(self, session: Session, ids: Sequence[int]) -> list[ArticleHit]:
        """The articles of ``ids``, in that order, with score and highlighted snippet: a page,
        the only rows that pay for ``ts_headline``. Ids deleted meanwhile are left out."""
        if not ids:
            return []
        dialect = "sqlite" if self.sqlite else "postgresql"
        statement = _hits_statement(dialect)
        found = {}
        for row in session.connection().execute(statement, {**self.params, HIT_IDS: list(ids)}):
            article = summary(row)
            score, text = article.pop("hit_score"), article.pop("hit_snippet")
            ambiguous = article.pop("hit_ambiguous")
            found[row.id] = ArticleHit(article, score, _mark(text, ambiguous=bool(ambiguous)))
        return [found[id_] for id_ in ids if id_ in found]


HIT_IDS = "hit_ids"


# The query kept statements are built with; they run with each query's own words.
PLACEHOLDER = webquery.parse("placeholder")


@functools.lru_cache(maxsize=2)
def _hits_statement(dialect: str) -> Select[Any]:
    """The hits' statement of a dialect, built once: the words (``Match.params``) and the
    ids (``HIT_IDS``) are bound parameters."""
    match = Match(dialect, PLACEHOLDER, named=True)
    if match.sqlite:
        snippet: ColumnElement[str] = func.snippet(_FTS, -1, START, STOP, " … ", 32)
        ids: ColumnElement[bool] = Article.id.in_(bindparam(HIT_IDS, expanding=True))
    else:
        snippet = func.ts_headline(
            literal_column(fts.text_search_config("articles.language")),
            literal_column(fts.indexed_text(f"left(articles.body, {SNIPPET_SOURCE_CHARS})")),
            match.expression,
            literal(_HEADLINE),
        )
        ids = Article.id == any_(bindparam(HIT_IDS, type_=INT_ARRAY))
    statement = typing.cast(
        "Select[Any]",
        select(
            *SUMMARY_COLUMNS,
            match.score().label("hit_score"),
            snippet.label("hit_snippet"),
            _holds_markers().label("hit_ambiguous"),
        ),
    )
    if match.sqlite:
        statement = match.apply(statement)  # snippet() needs the MATCH
    return with_source(statement.where(ids))


def _holds_markers() -> ColumnElement[bool]:
    """Whether the text a snippet is cut from (title, teaser, body) holds the marker
    characters itself (a ``LIKE`` on the database: the body is not read)."""
    return or_(
        *(
            func.coalesce(column, "").contains(marker, autoescape=True)
            for column in (Article.title, Article.teaser, Article.body)
            for marker in (START, STOP)
        )
    )


def _mark(text: str | None, *, ambiguous: bool = False) -> str:
    """Escape the snippet for HTML, then highlight the matches with ``<mark>``.

    Stored text may hold U+E000 and U+E001 itself. In such an article the database's markers
    cannot be told from the text's own characters, so all of them are dropped and the snippet
    comes without highlights: none of the text's own characters ever becomes a ``<mark>``.
    """
    escaped = html.escape(text or "", quote=False)
    if ambiguous:
        return escaped.replace(START, "").replace(STOP, "")
    return escaped.replace(START, "<mark>").replace(STOP, "</mark>")


def first_page(
    match: Match,
    window: Sequence[Any],
    *,
    bound: NewestKey | None,
    scope: str,
    limit: int,
    codec: CursorCodec,
) -> Page[Ranked]:
    """The first page of the window (rows with ``id`` and ``rank``) by score, then id."""
    # The page and one more: ``nsmallest`` is ``sorted(...)[:n]`` without sorting the window.
    if match.sqlite:  # bm25: lower is better
        ordered = heapq.nsmallest(limit + 1, window, key=lambda row: (row.rank, row.id))
    else:
        ordered = heapq.nsmallest(limit + 1, window, key=lambda row: (-row.rank, row.id))
    return _page([Ranked(row.id, row.rank) for row in ordered], bound, scope, limit, codec)


def ranked_page(
    session: Session,
    match: Match,
    candidates: Select[Any],
    *,
    scope: str,
    limit: int,
    cursor: str,
    codec: CursorCodec,
) -> Page[Ranked]:
    """A later page of the window by score (higher first), then id: ids and ranks only.

    ``candidates`` selects the ids of every match of the query and filters; the window is
    those not older than the cursor's bound. The cursor is ``[rank, id, bound time, bound
    id]``: the bound keeps later pages on the window of the first one, even if newer articles
    were ingested since.
    """
    rank, last_id, bound = _decode(codec, scope, cursor)
    worse = match.rank > rank if match.sqlite else match.rank < rank
    statement = candidates.with_only_columns(Article.id, match.rank.label("rank"))
    statement = statement.where(or_(worse, and_(match.rank == rank, Article.id > last_id)))
    if bound is not None:
        statement = statement.where(not_older_than(bound))
    order = match.rank.asc() if match.sqlite else match.rank.desc()
    statement = statement.order_by(order, Article.id.asc()).limit(limit + 1)
    found = [Ranked(*row) for row in session.execute(statement)]
    return _page(found, bound, scope, limit, codec)


def _page(
    found: list[Ranked], bound: NewestKey | None, scope: str, limit: int, codec: CursorCodec
) -> Page[Ranked]:
    if len(found) <= limit:
        return Page(found, None)
    last = found[limit - 1]
    kept = [bound[0].isoformat(), bound[1]] if bound else [None, None]
    return Page(found[:limit], codec.encode(scope, [last.rank, last.id, *kept]))


def _decode(codec: CursorCodec, scope: str, cursor: str) -> tuple[float, int, NewestKey | None]:
    values = codec.decode(scope, cursor)
    try:
        rank, last_id, bound_at, bound_id = values
        bound = None if bound_at is None else (cursor_datetime(bound_at), cursor_int(bound_id))
        return cursor_float(rank), cursor_int(last_id), bound
    except CURSOR_ERRORS as exc:
        raise InvalidCursor("The cursor does not fit this list.") from exc

"""The newest rows of an article query, read in slices of dates so the cost follows the page.

Newest-first is ``sort_time`` (``published_at``, else ``created_at``) descending, then id
descending. Sorting every match to keep the newest reads every match (a common word: a tenth
of the corpus), and walking the date index while testing each article reads an article per
step (a rare word: all of them). On PostgreSQL each slice of dates instead ANDs the query's
indexes (full text, filters) with the ``published_at`` index, so only the rows inside the
slice are read:

1. the first slice covers the newest ``FIRST_SLICE_PER_ROW × n`` dated articles (at least
   ``MIN_FIRST_SLICE``; its lower date is read from the ``published_at`` index alone), or
   fewer when the caller's estimate of the share of articles that match (``share``) says
   that more than one in ``FIRST_SLICE_PER_ROW`` does;
2. the next one is sized from the density of rows found so far, with a margin;
3. when the first slice found nothing, or the next one would span more than
   ``MAX_SLICE_PER_ROW × n`` (at most ``MAX_SLICE``) articles, rows are rare: there are few
   to read, and the next probe reads everything older at once, as does the ``MAX_PROBES``-th;
4. except that on PostgreSQL a wider slice (up to ``MAX_WIDE_SLICE``) is still read when the
   rows older than the last slice are many: reading them all costs a heap row each, a slice
   an index entry per article it spans, about ``SLICE_PER_MATCH`` times less. At a million
   articles a word in 1.5 % of them left 15,000 older matches for the last probe to read
   and sort, for 850 rows; a slice of 70,000 articles reads about 1,000.

Slices are disjoint and in order, so their rows concatenate into the newest-first order.
SQLite's FTS5 cannot intersect its index with a B-tree, so there one probe reads every row
(``SLICED_DIALECTS``); the rows are the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from app.db.base import UTCDateTime
from app.db.models import Article
from app.kb.articles import sort_time

# A word in one article out of 12 (the "common" band of a news corpus, 8-10 %) fills its first
# slice; rarer words take a second slice sized from what the first found, and denser ones
# read at most this many rows per wanted row.
FIRST_SLICE_PER_ROW = 12
MIN_FIRST_SLICE = 256
MAX_SLICE_PER_ROW = 32
MAX_SLICE = 32_000  # articles walked in the date index to find a slice's lower bound
MAX_PROBES = 4
SLICE_MARGIN = 1.25
MAX_WIDE_SLICE = 256_000
SLICE_PER_MATCH = 16
# Memory of each probe's bitmaps. A word in a tenth of a million articles gives its full-text
# index scan 115,000 rows on 80,000 pages: past the server's default (4 MB) the bitmap turns
# pages lossy, and the date slice's rows on them are tested against their (TOASTed) vector
# again, 2,000 of them for a window of 1,001 (95 ms instead of 40 at a million articles).
BITMAP_MEMORY = "32MB"
SLICED_DIALECTS = frozenset({"postgresql"})

SortKey = tuple[datetime, int]  # (sort_time, id)
Bound = datetime | ColumnElement[datetime] | None  # a date, or a bound parameter of one


class Probes:
    """The probes of one statement, newest first, built once per shape and reused.

    A probe's dates and limit are bound parameters (``SLICE_LOWER``, ``SLICE_UPPER``,
    ``SLICE_LIMIT``), so one ``Probes`` kept for a query's shape (``app.kb.search.articles``)
    serves every request of that shape: building and keying the window's statements cost a
    search about as much CPU as the database's work on a rare word.
    ``after`` keeps only rows strictly after that sort key (a cursor's).
    """

    def __init__(
        self,
        statement: Select[Any],
        *,
        wrap: Callable[[Select[Any]], Select[Any]] | None = None,
        after: SortKey | None = None,
    ) -> None:
        statement = statement.order_by(sort_time.desc(), Article.id.desc())
        if after is not None:
            statement = statement.where(older_than(after))
        self.after = after
        self._statement = statement
        self._wrap = wrap
        self._built: dict[tuple[bool, bool, bool], Select[Any]] = {}

    def probe(self, *, lower: bool, upper: bool, union: bool) -> Select[Any]:
        """The probe with a lower and an upper date bound or not (``_between``)."""
        key = (lower, upper, union)
        built = self._built.get(key)
        if built is None:
            probing = self._statement
            if lower or upper:
                bounds = (_SLICE_LOWER if lower else None, _SLICE_UPPER if upper else None)
                probing = _between(probing, *bounds, union=union)
            probing = probing.limit(_SLICE_LIMIT)
            built = self._built[key] = self._wrap(probing) if self._wrap else probing
        return built


SLICE_LOWER, SLICE_UPPER, SLICE_LIMIT = "slice_lower", "slice_upper", "slice_limit"
_SLICE_LOWER: Any = bindparam(SLICE_LOWER, type_=UTCDateTime())
_SLICE_UPPER: Any = bindparam(SLICE_UPPER, type_=UTCDateTime())
_SLICE_LIMIT: Any = bindparam(SLICE_LIMIT, type_=Integer())


def newest_rows(
    session: Session,
    probes: Probes,
    n: int,
    *,
    share: float | None = None,
    params: dict[str, Any] | None = None,
) -> list[Any]:
    """Up to ``n`` rows of the ``probes``' statement newest first, strictly after its
    ``after`` in that order; ``params``: the values of the statement's own bound parameters.

    ``share``, an estimate of the share of articles that the statement selects, only ever
    shrinks the first slice, to about ``n × SLICE_MARGIN`` rows: estimates of several words
    assume them independent and can be far too low ("prime minister": 1,312 estimated, 7,772
    found at 100,000 articles), and a word in most articles read ten times the rows wanted.
    """
    # Upper bound of the next slice: the cursor's time (inclusive) or the last slice's lower.
    upper: datetime | None = None
    upper_inclusive = False
    if probes.after is not None:
        upper, upper_inclusive = probes.after[0], True
    dialect = session.get_bind().dialect.name
    sliced = dialect in SLICED_DIALECTS
    # Core rows: the ORM's loading of a thousand column rows cost more than reading them.
    connection = session.connection()
    rows: list[Any] = []
    span, covered = max(FIRST_SLICE_PER_ROW * n, MIN_FIRST_SLICE), 0
    if share:
        span = max(n, min(span, math.ceil(n * SLICE_MARGIN / share)))
    widest = min(MAX_SLICE_PER_ROW * n, MAX_SLICE)
    total: float | None = None  # the planner's count of articles (PostgreSQL)
    first: tuple[datetime | None] | None = None  # the first slice's lower date, when read
    if dialect == "postgresql":
        # Nothing is found before the first probe: it is final when its slice is too wide.
        final = not sliced or MAX_PROBES == 1 or span > widest
        total, first = _prepare(session, None if final else span, upper, upper_inclusive)
    for probe in range(1, MAX_PROBES + 1):
        final = not sliced or probe == MAX_PROBES or (covered > 0 and not rows)
        if not final and span > widest:
            final = span > _worth_slicing(total, len(rows), covered)
        if final:
            lower = None
        elif probe == 1 and first is not None:
            lower = first[0]
        else:
            lower = _nth_newest_date(session, span, upper, upper_inclusive)
        values = dict(params or {})
        values[SLICE_LIMIT] = n - len(rows)
        bounded = lower is not None or (upper is not None and not upper_inclusive)
        # The date range goes into the full-text index for a slice of at most MAX_SLICE
        # articles; a wider range (or none) costs the index more than the words' bitmap.
        union = bounded and dialect == "postgresql" and lower is not None and span <= MAX_SLICE
        if lower is not None:
            values[SLICE_LOWER] = lower
        has_upper = bounded and upper is not None and not upper_inclusive
        if has_upper:
            values[SLICE_UPPER] = upper
        statement = probes.probe(lower=lower is not None, upper=has_upper, union=union)
        rows += connection.execute(statement, values).all()
        if len(rows) >= n or lower is None:
            break
        covered += span
        span = max(n, math.ceil((n - len(rows)) * covered / max(len(rows), 1) * SLICE_MARGIN))
        upper, upper_inclusive = lower, False
    return rows


def _worth_slicing(total: float | None, found: int, covered: int) -> int:
    """The widest slice that costs less than reading every older row at once, estimated
    from the density of rows in the articles covered so far (0 without ``total``, the
    planner's count of articles: SQLite, or a table never analyzed)."""
    if not total or total <= 0 or not found:
        return 0
    older = found / covered * max(total - covered, 0)
    return min(MAX_WIDE_SLICE, math.ceil(SLICE_PER_MATCH * older))


# ``set_config(..., true)`` is ``SET LOCAL``: work_mem for the rest of the transaction (a
# request's reads).
_WORK_MEM: ColumnElement[Any] = literal_column(
    f"set_config('work_mem', '{BITMAP_MEMORY}', true)"
).label("work_mem")
_RELTUPLES: ColumnElement[Any] = literal_column(
    "(SELECT reltuples FROM pg_class WHERE oid = 'articles'::regclass)", Float
).label("reltuples")


def _prepare(
    session: Session, span: int | None, upper: datetime | None, inclusive: bool
) -> tuple[float, tuple[datetime | None] | None]:
    """PostgreSQL, before the first probe, in one round trip: ``SET LOCAL work_mem``, the
    planner's count of articles (for ``_worth_slicing``) and, for a first ``span``, the lower
    date of the first slice (as ``_nth_newest_date``; None when no span is given)."""
    columns: list[Any] = [_WORK_MEM, _RELTUPLES]
    if span is not None:
        columns.append(_nth_date(span, upper, inclusive).scalar_subquery().label("lower"))
    row = session.connection().execute(select(*columns)).one()
    return float(row.reltuples or 0), (row.lower,) if span is not None else None


def _nth_newest_date(
    session: Session, n: int, upper: datetime | None, inclusive: bool
) -> datetime | None:
    """The ``published_at`` of the n-th newest dated article below ``upper`` (index only)."""
    return session.connection().execute(_nth_date(n, upper, inclusive)).scalar()


def _nth_date(n: int, upper: datetime | None, inclusive: bool) -> Select[Any]:
    statement = select(Article.published_at).where(Article.published_at.is_not(None))
    if upper is not None:
        statement = statement.where(
            Article.published_at <= upper if inclusive else Article.published_at < upper
        )
    return statement.order_by(Article.published_at.desc()).offset(n - 1).limit(1)


def _between(statement: Select[Any], lower: Bound, upper: Bound, *, union: bool) -> Select[Any]:
    """``statement`` within ``lower <= sort_time < upper``, newest first.

    On PostgreSQL the dated and the undated articles are two branches of a ``UNION ALL``: a
    date range that is a plain condition is one the full-text index (which holds
    ``published_at``, migration 0017) intersects with the words inside the index; OR-ed with
    the undated articles' condition, the planner read the words' whole posting lists."""
    if not union:
        return statement.where(sort_time_between(lower, upper))
    dated, undated = _dated_and_undated(lower, upper)
    dated.append(Article.published_at.is_not(None))
    unordered = statement.order_by(None)
    both = union_all(unordered.where(*dated), unordered.where(*undated)).subquery()
    return select(*both.c).order_by(both.c.sort_time.desc(), both.c.id.desc())


def sort_time_between(lower: Bound, upper: Bound) -> ColumnElement[bool]:
    """``lower <= sort_time < upper``, written so that the ``published_at`` index serves it.

    No index orders ``created_at``, the sort time of undated articles: those are read through
    ``published_at IS NULL`` (an index condition too), all of them at each probe.
    """
    dated, undated = _dated_and_undated(lower, upper)
    return or_(and_(*dated), and_(*undated))


def _dated_and_undated(
    lower: Bound, upper: Bound
) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
    """The range on ``published_at`` (dated articles) and on ``created_at`` for the undated."""
    dated: list[ColumnElement[bool]] = []
    undated: list[ColumnElement[bool]] = [Article.published_at.is_(None)]
    if lower is not None:
        dated.append(Article.published_at >= lower)
        undated.append(Article.created_at >= lower)
    if upper is not None:
        dated.append(Article.published_at < upper)
        undated.append(Article.created_at < upper)
    return dated, undated


def older_than(key: SortKey) -> ColumnElement[bool]:
    """Strictly after ``key`` in the newest-first order."""
    at, id_ = key
    at_most = or_(
        Article.published_at <= at,
        and_(Article.published_at.is_(None), Article.created_at <= at),
    )
    return and_(at_most, or_(sort_time < at, Article.id < id_))


def not_older_than(key: SortKey) -> ColumnElement[bool]:
    """At or before ``key`` in the newest-first order."""
    at, id_ = key
    return and_(sort_time_between(at, None), or_(sort_time > at, Article.id >= id_))

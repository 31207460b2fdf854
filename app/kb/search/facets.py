"""Facet counts of an article search: over its window, as relevance ranks it.

Grouping every match of a common word by source, section and year read all of them; counting
the window (``app.kb.search.articles.WINDOW`` newest matches) reads nothing more than finding
it did, and ``complete`` says whether that was every match.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Source
from app.kb.search.articles import ArticleFilters, Facet, FacetRow, Window, match_window
from app.kb.sql.idlist import ids_in

FACET_LIMIT = 50


@dataclass(frozen=True)
class ArticleFacets:
    """Matching articles by source, section and published year (UTC), over the window."""

    sources: list[Facet]
    sections: list[Facet]
    years: list[Facet]
    counted: int  # articles counted: every match when ``complete``, else the WINDOW newest
    complete: bool


def article_facets(
    session: Session,
    q: str | None,
    filters: ArticleFilters,
    *,
    window: Window[FacetRow] | None = None,
) -> ArticleFacets:
    """Counts of the window's articles by source, section and published year, top 50 of each.

    Counted from the window's rows (already read to find it), plus one look-up of source
    names: exact when the window holds every match (``complete``).
    """
    window = window or match_window(session, q=q, filters=filters)
    source_ids = {row.source_id for row in window.rows if row.source_id is not None}
    names: dict[int, str] = {}
    if source_ids:
        dialect = session.get_bind().dialect.name
        known = ids_in(Source.id, sorted(source_ids), dialect)  # one array parameter
        found = session.execute(select(Source.id, Source.name).where(known))
        names = dict(found.all())
    sources = Counter(names[r.source_id] for r in window.rows if r.source_id in names)
    sections = Counter(r.section for r in window.rows if r.section is not None)
    years = Counter(str(r.year) for r in window.rows if r.year is not None)  # UTC
    return ArticleFacets(
        sources=_top(sources, key=str),
        sections=_top(sections, key=str),
        years=_top(years, key=int),
        counted=len(window.rows),
        complete=window.complete,
    )


def _top(counts: Counter[str], *, key: Any) -> list[Facet]:
    """Most frequent first; ties by value (years as numbers, names by code point)."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], key(item[0])))
    return [Facet(value, count) for value, count in ordered[:FACET_LIMIT]]

"""A summary of the knowledge base in five queries: one row of counts, four GROUP BYs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.db.models import (
    Amount,
    Article,
    ArticleDuplicate,
    ArticleVersion,
    Entity,
    EntityStats,
    Event,
    Quote,
    Source,
    Timex,
)
from app.extract.languages import extraction_status, pipelines
from app.schemas.stats import LanguageStats, Stats


def collect_stats(session: Session) -> Stats:
    """Counts by kind, the published/ingested date range and the extractor versions in use."""
    row = session.execute(
        select(
            func.count(Article.id).label("articles"),
            func.max(Article.published_at).label("newest_published_at"),
            func.min(Article.published_at).label("oldest_published_at"),
            func.max(Article.created_at).label("newest_ingested_at"),
            func.min(Article.created_at).label("oldest_ingested_at"),
            _count(Source.id).label("sources"),
            _count(Entity.id, Entity.merged_into_id.is_not(None)).label("merged_entities"),
            # The stored per-entity counts (exact, see app.kb.entity_stats): one narrow row per
            # entity to add up instead of every mention to count.
            select(func.coalesce(func.sum(EntityStats.mention_count), 0))
            .scalar_subquery()
            .label("mentions"),
            _count(Event.id).label("events"),
            _count(Quote.id).label("quotes"),
            _count(Amount.id).label("amounts"),
            _count(Timex.id).label("timexes"),
            _count(ArticleDuplicate.article_id).label("duplicates"),
            _count(ArticleVersion.id).label("versions"),
        )
    ).one()
    live_entities = _group_counts(session, Entity.type, Entity.merged_into_id.is_(None))
    return Stats(
        **row._asdict(),
        entities=sum(live_entities.values()),
        entities_by_type=live_entities,
        events_by_type=_group_counts(session, Event.type),
        extractor_versions=_group_counts(session, Article.extractor_version),
        languages=_languages(_group_counts(session, Article.language)),
    )


def _languages(counts: dict[str, int]) -> list[LanguageStats]:
    """Languages with articles (most first), then those with a pipeline and no article yet."""
    codes = list(counts) + sorted(set(pipelines()) - set(counts))
    return [
        LanguageStats(
            language=code,
            articles=counts.get(code, 0),
            status=status.status,
            extracts=list(status.extracts),
            reason=status.reason,
        )
        for code in codes
        for status in [extraction_status(code)]
    ]


def _count(column: InstrumentedAttribute[Any], *where: Any) -> ColumnElement[int]:
    return select(func.count(column)).where(*where).scalar_subquery()


def _group_counts(
    session: Session, column: InstrumentedAttribute[str], *where: Any
) -> dict[str, int]:
    """``{value: count}``, largest first, ties by value, so the answer is stable."""
    count = func.count()
    query = select(column, count).where(*where).group_by(column).order_by(count.desc(), column)
    return dict(session.execute(query).all())

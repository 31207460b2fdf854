"""Versions: a new text at a stored article's URL becomes the article; the old text is kept.

Outlets correct and update stories in place. Ingesting such a page again brings a text with the
same URL and another content hash: the article keeps its id (every link to it stays valid),
its earlier text is copied to ``article_versions`` (readable as version 1, 2...), the new text
is stored in its place and its facts are extracted again, in one transaction recorded in the
change feed as an update. The same text again, current or earlier, changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import Article, ArticleVersion
from app.errors import NotFound
from app.extract import types as x
from app.kb import duplicates, ingest
from app.kb.sql.transaction import committing


@dataclass(frozen=True)
class VersionSummary:
    """One text of an article: ``current`` for the article's own text."""

    number: int
    current: bool
    content_hash: str
    title: str | None
    word_count: int
    extractor_version: str
    ingested_at: datetime
    replaced_at: datetime | None


@dataclass(frozen=True)
class VersionText:
    summary: VersionSummary
    teaser: str | None
    published_at: datetime | None
    body: str


def is_new_text(session: Session, article: Article, *, url: str | None, content_hash: str) -> bool:
    """A text at ``article``'s URL that is neither its current text, nor an earlier one, nor
    the text of another stored article (which would make it a copy of that one)."""
    if not url or article.url != url or article.content_hash == content_hash:
        return False
    stored = select(Article.id).where(Article.content_hash == content_hash)
    earlier = select(ArticleVersion.id).where(
        ArticleVersion.article_id == article.id, ArticleVersion.content_hash == content_hash
    )
    return not session.scalar(select(exists(stored) | exists(earlier)))


def store_version(
    session: Session,
    article_id: int,
    extracted: x.ExtractedArticle,
    *,
    raw_text: str | None = None,
    then: Callable[[Session, ingest.IngestResult], None] | None = None,
) -> ingest.IngestResult:
    """Keep the current text as an earlier version, store the new one, re-extract its facts.

    ``then`` runs in the same transaction with the result (a queue job records its outcome)."""
    ingest.report_failures(extracted)
    with committing(session):
        article = session.get(Article, article_id, with_for_update=True)
        if article is None:
            raise NotFound(f"Article {article_id} does not exist.")
        number = _archive(session, article)
        _apply(article, extracted, raw_text)
        session.flush()
        # The text changed: so did its fingerprint and what it may be a copy of.
        duplicates.forget(session, article_id)
        duplicates.link_copy(session, article_id, article.body)
        ingest.swap_facts(session, article, extracted)  # last: hot row locks
        result = ingest.IngestResult(article, created=False, version=number + 1)
        if then is not None:
            then(session, result)
    return result


def _archive(session: Session, article: Article) -> int:
    """Copy the article's current text to ``article_versions``; returns its number."""
    last = session.execute(
        select(func.count(), func.max(ArticleVersion.replaced_at)).where(
            ArticleVersion.article_id == article.id
        )
    ).one()
    number = int(last[0]) + 1
    session.add(
        ArticleVersion(
            article_id=article.id,
            number=number,
            content_hash=article.content_hash,
            title=article.title,
            teaser=article.teaser,
            published_at=article.published_at,
            body=article.body,
            raw_text=article.raw_text,
            word_count=article.word_count,
            extractor_version=article.extractor_version,
            ingested_at=last[1] or article.created_at,
            replaced_at=utcnow(),
        )
    )
    return number


def _apply(article: Article, extracted: x.ExtractedArticle, raw_text: str | None) -> None:
    """The new text and what came with it; metadata the new document lacks is kept."""
    parsed = extracted.parsed
    article.content_hash = extracted.content_hash
    article.body = parsed.body
    article.raw_text = raw_text if raw_text is not None else parsed.body
    article.word_count = len(parsed.body.split())
    article.title = parsed.title or article.title
    article.teaser = parsed.teaser or article.teaser
    article.published_at = parsed.published_at or article.published_at
    article.dateline = parsed.dateline or article.dateline
    article.section = parsed.section or article.section
    article.tags = list(parsed.tags) or article.tags
    article.authors = list(parsed.authors) or article.authors
    article.agencies = list(parsed.agencies) or article.agencies
    article.images = [{"caption": i.caption, "credit": i.credit} for i in parsed.images]
    article.subheads = list(parsed.subheads)
    article.subhead_spans = [list(span) for span in parsed.subhead_spans]


def current_number(session: Session, article_id: int) -> int:
    """The number of the article's current text: one more than its earlier versions."""
    count = session.scalar(
        select(func.count())
        .select_from(ArticleVersion)
        .where(ArticleVersion.article_id == article_id)
    )
    return int(count or 0) + 1


def list_versions(session: Session, article_id: int) -> list[VersionSummary]:
    """Every text of an article, oldest first; the last is the current one."""
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"Article {article_id} does not exist.")
    earlier = list(
        session.scalars(
            select(ArticleVersion)
            .where(ArticleVersion.article_id == article_id)
            .order_by(ArticleVersion.number)
        )
    )
    found = [_summary(version) for version in earlier]
    since = earlier[-1].replaced_at if earlier else article.created_at
    found.append(_current(article, len(earlier) + 1, since))
    return found


def get_version(session: Session, article_id: int, number: int) -> VersionText:
    """One text of an article by its number (1 is the first ingested)."""
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"Article {article_id} does not exist.")
    version = session.scalars(
        select(ArticleVersion).where(
            ArticleVersion.article_id == article_id, ArticleVersion.number == number
        )
    ).first()
    if version is not None:
        return VersionText(_summary(version), version.teaser, version.published_at, version.body)
    versions = list_versions(session, article_id)
    if number != versions[-1].number:
        raise NotFound(
            f"Article {article_id} has no version {number} (it has 1 to {versions[-1].number})."
        )
    return VersionText(versions[-1], article.teaser, article.published_at, article.body)


def _summary(version: ArticleVersion) -> VersionSummary:
    return VersionSummary(
        number=version.number,
        current=False,
        content_hash=version.content_hash,
        title=version.title,
        word_count=version.word_count,
        extractor_version=version.extractor_version,
        ingested_at=version.ingested_at,
        replaced_at=version.replaced_at,
    )


def _current(article: Article, number: int, since: datetime) -> VersionSummary:
    return VersionSummary(
        number=number,
        current=True,
        content_hash=article.content_hash,
        title=article.title,
        word_count=article.word_count,
        extractor_version=article.extractor_version,
        ingested_at=since,
        replaced_at=None,
    )


def count_versions(session: Session) -> int:
    """Earlier versions kept, over every article."""
    return session.scalar(select(func.count()).select_from(ArticleVersion)) or 0


def new_texts(session: Session, documents: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Of ``(url, content hash)`` pairs whose URL is stored, those that are new texts of it."""
    found = set()
    for url, digest in documents:
        article = session.scalars(select(Article).where(Article.url == url)).first()
        if article is not None and is_new_text(session, article, url=url, content_hash=digest):
            found.add((url, digest))
    return found

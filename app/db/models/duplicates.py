"""Near-duplicates and versions of articles (``app.kb.duplicates``, ``app.kb.versions``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow


class ArticleSignature(Base):
    """An article's MinHash signature (``NUM_PERM`` unsigned 32-bit values, little-endian)."""

    __tablename__ = "article_signatures"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class ArticleBand(Base):
    """One LSH band of a signature, hashed to 64 bits: articles sharing a key are candidates.

    The primary key (key first) is the look-up index; the second index serves the cascade
    when an article is deleted.
    """

    __tablename__ = "article_bands"
    __table_args__ = (Index("ix_article_bands_article_id", "article_id"),)

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )


class ArticleDuplicate(Base):
    """A later copy of an article (another URL, nearly the same text), linked to the first."""

    __tablename__ = "article_duplicates"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    original_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    similarity: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArticleVersion(Base):
    """An earlier text of an article: what it was before a new text came at the same URL.

    ``number`` counts from 1 (the first text ingested); the article itself holds the current
    version, numbered one more than its earlier ones.
    """

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    teaser: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    body: Mapped[str] = mapped_column(Text)
    raw_text: Mapped[str] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    extractor_version: Mapped[str] = mapped_column(String(32))
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when this text came in
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

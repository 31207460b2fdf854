from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, TimestampMixin, UTCDateTime

if TYPE_CHECKING:
    from app.db.models.entities import Mention, Role
    from app.db.models.events import EventEvidence
    from app.db.models.facts import Amount, Quote, Timex


class Source(Base, TimestampMixin):
    """A publisher (DW, Reuters...)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    domain: Mapped[str | None] = mapped_column(String(255))


class Article(Base, TimestampMixin):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str | None] = mapped_column(String(2048), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    teaser: Mapped[str | None] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(String(200), index=True)
    dateline: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    agencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    images: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    subheads: Mapped[list[str]] = mapped_column(JSON, default=list)
    subhead_spans: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    language: Mapped[str] = mapped_column(String(16), default="en")
    body: Mapped[str] = mapped_column(Text)
    raw_text: Mapped[str] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    extractor_version: Mapped[str] = mapped_column(String(32))

    source: Mapped[Source | None] = relationship(lazy="raise")
    mentions: Mapped[list[Mention]] = relationship(
        back_populates="article", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    roles: Mapped[list[Role]] = relationship(
        back_populates="article", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    timexes: Mapped[list[Timex]] = relationship(
        back_populates="article", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    amounts: Mapped[list[Amount]] = relationship(
        back_populates="article", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    quotes: Mapped[list[Quote]] = relationship(
        back_populates="article", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    evidence: Mapped[list[EventEvidence]] = relationship(
        back_populates="article", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def ingested_at(self) -> datetime:
        return self.created_at

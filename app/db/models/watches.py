"""Saved searches (watches), the articles that matched them, and their webhook deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TimestampMixin, UTCDateTime, utcnow


class Watch(Base, TimestampMixin):
    """A query in the ``/v1/articles`` syntax with its filters, matched against every new
    article at ingest. ``status`` is ``active`` or ``paused``: a paused watch still records
    matches (they can be pulled) but sends no webhook until it is resumed."""

    __tablename__ = "watches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    q: Mapped[str | None] = mapped_column(Text)
    # ``app.kb.watches.WatchFilters`` as JSON: entity ids and types, event types, source...
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(128))  # signs deliveries; shown once
    status: Mapped[str] = mapped_column(String(16), default="active")
    paused_reason: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)


class WatchMatch(Base):
    """An article that matched a watch when it was ingested: once per pair."""

    __tablename__ = "watch_matches"
    __table_args__ = (
        UniqueConstraint("watch_id", "article_id"),
        Index("ix_watch_matches_watch_id_id", "watch_id", "id"),  # a watch's list, in order
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watches.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WatchDelivery(Base):
    """One webhook POST of one match, with its attempts so far (the delivery log).

    ``status``: ``pending`` (due at ``next_attempt_at``), ``delivered``, or ``failed`` (every
    attempt failed). The body is fixed when the match is recorded, so every retry sends the
    same bytes (with a fresh timestamp and signature).
    """

    __tablename__ = "watch_deliveries"
    __table_args__ = (
        Index("ix_watch_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_watch_deliveries_watch_id_id", "watch_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watches.id", ondelete="CASCADE"))
    match_id: Mapped[int] = mapped_column(
        ForeignKey("watch_matches.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

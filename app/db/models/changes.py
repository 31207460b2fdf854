"""The change feed: one row per created, updated, merged or deleted article or entity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow


class Change(Base):
    """Append-only; ``id`` is the feed order. Deleted objects stay here as tombstones."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_kind_object_id", "kind", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # article, entity
    object_id: Mapped[int] = mapped_column(Integer)  # no FK: tombstones outlive their object
    action: Mapped[str] = mapped_column(String(16))  # created, updated, merged, deleted
    merged_into_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

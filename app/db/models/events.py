from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, TimestampMixin
from app.db.models.provenance import SpanMixin

if TYPE_CHECKING:
    from app.db.models.articles import Article
    from app.db.models.entities import Entity
    from app.db.models.facts import Amount


class Event(Base, TimestampMixin):
    """Something that happened or is expected; shared by every article that reports it."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_type_date_start", "type", "date_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    date_start: Mapped[date | None] = mapped_column(Date, index=True)
    date_end: Mapped[date | None] = mapped_column(Date)
    date_precision: Mapped[str | None] = mapped_column(String(16))
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("entities.id", ondelete="SET NULL"), index=True
    )
    name_entity_id: Mapped[int | None] = mapped_column(
        ForeignKey("entities.id", ondelete="SET NULL"), index=True
    )
    # The lemma of the word that reported it first ("win", "theft"): what an ``other`` is.
    trigger: Mapped[str | None] = mapped_column(String(64))

    location: Mapped[Entity | None] = relationship(lazy="raise", foreign_keys=[location_id])
    name_entity: Mapped[Entity | None] = relationship(lazy="raise", foreign_keys=[name_entity_id])
    # Loaded in id order (the order they were stored), the same on every database.
    participants: Mapped[list[EventParticipant]] = relationship(
        back_populates="event",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="EventParticipant.id",
    )
    evidence: Mapped[list[EventEvidence]] = relationship(
        back_populates="event",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="EventEvidence.id",
    )
    amounts: Mapped[list[Amount]] = relationship(
        back_populates="event", lazy="raise", order_by="Amount.id"
    )


class EventParticipant(Base):
    __tablename__ = "event_participants"
    __table_args__ = (UniqueConstraint("event_id", "entity_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(32))

    event: Mapped[Event] = relationship(back_populates="participants", lazy="raise")
    entity: Mapped[Entity] = relationship(lazy="raise")


class EventEvidence(Base, SpanMixin):
    """The span of one article that reports an event."""

    __tablename__ = "event_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    # The article reports this event as its main event (its headline or lead).
    main: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    event: Mapped[Event] = relationship(back_populates="evidence", lazy="raise")
    article: Mapped[Article] = relationship(back_populates="evidence", lazy="raise")

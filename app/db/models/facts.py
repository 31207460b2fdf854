"""Facts that belong to one article: date expressions, amounts and quotes."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base
from app.db.models.provenance import SpanMixin

if TYPE_CHECKING:
    from app.db.models.articles import Article
    from app.db.models.entities import Entity
    from app.db.models.events import Event


class Timex(Base, SpanMixin):
    __tablename__ = "timexes"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(500))
    value: Mapped[str | None] = mapped_column(String(64))
    precision: Mapped[str] = mapped_column(String(16))
    anchor: Mapped[date | None] = mapped_column(Date)
    range_start: Mapped[date | None] = mapped_column(Date, index=True)
    range_end: Mapped[date | None] = mapped_column(Date)
    imputed: Mapped[bool] = mapped_column(Boolean, default=False)
    ambiguous: Mapped[bool] = mapped_column(Boolean, default=False)

    article: Mapped[Article] = relationship(back_populates="timexes", lazy="raise")


class Amount(Base, SpanMixin):
    __tablename__ = "amounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(String(500))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    # Amounts of one article that state the same quantity ("$1 billion (€850 million)").
    same_as_group: Mapped[int | None] = mapped_column(Integer)
    # A vague or hedged figure ("hundreds of thousands", "about 300").
    approximate: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    article: Mapped[Article] = relationship(back_populates="amounts", lazy="raise")
    event: Mapped[Event | None] = relationship(back_populates="amounts", lazy="raise")


class Quote(Base, SpanMixin):
    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    speaker_id: Mapped[int | None] = mapped_column(
        ForeignKey("entities.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(Text)
    direct: Mapped[bool] = mapped_column(Boolean, default=True)
    # An unnamed speaker as the text describes them ("a spokesperson"); NULL when named.
    speaker_description: Mapped[str | None] = mapped_column(Text)

    article: Mapped[Article] = relationship(back_populates="quotes", lazy="raise")
    speaker: Mapped[Entity | None] = relationship(lazy="raise")

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, TimestampMixin
from app.db.models.provenance import SpanMixin

if TYPE_CHECKING:
    from app.db.models.articles import Article


class Entity(Base, TimestampMixin):
    """A real-world thing shared across articles (person, organization, country...)."""

    __tablename__ = "entities"
    __table_args__ = (Index("ix_entities_type_normalized_name", "type", "normalized_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(500))
    normalized_name: Mapped[str] = mapped_column(String(500))
    # What ingests resolve on ("country:by", "person:alexander lukashenko"); unique, so two
    # concurrent ingests cannot create the same entity twice. NULL: never resolved to.
    resolution_key: Mapped[str | None] = mapped_column(String(600), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    wikidata_id: Mapped[str | None] = mapped_column(String(32))
    country_code: Mapped[str | None] = mapped_column(String(2))
    # A place that stands for a state ("the Kremlin" → Russia).
    stands_for_id: Mapped[int | None] = mapped_column(
        ForeignKey("entities.id", ondelete="SET NULL")
    )
    # Set when a curator merged this entity into another; it then answers with a redirect.
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("entities.id", ondelete="SET NULL"), index=True
    )
    curated: Mapped[bool] = mapped_column(Boolean, default=False)

    aliases: Mapped[list[EntityAlias]] = relationship(
        back_populates="entity", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    roles: Mapped[list[Role]] = relationship(
        back_populates="person",
        lazy="raise",
        foreign_keys="Role.person_id",
        passive_deletes=True,
    )
    stands_for: Mapped[Entity | None] = relationship(
        lazy="raise", remote_side=[id], foreign_keys=[stands_for_id]
    )


class EntityAlias(Base):
    """A surface form seen for an entity, normalized for lookup."""

    __tablename__ = "entity_aliases"
    __table_args__ = (UniqueConstraint("entity_id", "normalized"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(500))
    normalized: Mapped[str] = mapped_column(String(500), index=True)

    entity: Mapped[Entity] = relationship(back_populates="aliases", lazy="raise")


class Mention(Base, SpanMixin):
    """One occurrence of an entity in an article (a mention is not an entity)."""

    __tablename__ = "mentions"
    __table_args__ = (Index("ix_mentions_entity_id_article_id", "entity_id", "article_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))

    article: Mapped[Article] = relationship(back_populates="mentions", lazy="raise")
    entity: Mapped[Entity] = relationship(lazy="raise")


class Role(Base, SpanMixin):
    """A person holding a position of a country or organization, with its evidence."""

    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), index=True
    )
    of_id: Mapped[int | None] = mapped_column(
        ForeignKey("entities.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")

    article: Mapped[Article] = relationship(back_populates="roles", lazy="raise")
    person: Mapped[Entity] = relationship(
        back_populates="roles", lazy="raise", foreign_keys=[person_id]
    )
    of: Mapped[Entity | None] = relationship(lazy="raise", foreign_keys=[of_id])

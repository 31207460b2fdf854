from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, TimestampMixin, UTCDateTime
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
    # A person's statements in id order: the role summary and the keyset of its /roles list.
    __table_args__ = (Index("ix_roles_person_id_id", "person_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    of_id: Mapped[int | None] = mapped_column(
        ForeignKey("entities.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    # "former", "then", "acting", ... (``app.extract.types.Role.qualifier``); None: unqualified.
    qualifier: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")

    article: Mapped[Article] = relationship(back_populates="roles", lazy="raise")
    person: Mapped[Entity] = relationship(lazy="raise", foreign_keys=[person_id])
    of: Mapped[Entity | None] = relationship(lazy="raise", foreign_keys=[of_id])


# Stands for "no article mentions it": sorts after every real date, shown as null.
NEVER_SEEN = datetime(1900, 1, 1, tzinfo=UTC)


class EntityArticle(Base):
    """One entity in one article: how often it is named there, and the article's dates.

    Derived from ``mentions`` by the write paths (``app.kb.entity_stats``), never edited on
    its own. It is the per-entity list of articles in date order, which mentions cannot be
    (their dates live on the article): timelines page through it and ``related`` reads an
    entity's newest articles from it without touching every mention. ``entity_type`` and the
    dates are copies (an entity never changes type; an article never changes its dates).
    """

    __tablename__ = "entity_articles"
    __table_args__ = (
        Index("ix_entity_articles_article_id", "article_id", "entity_type", "entity_id"),
        Index("ix_entity_articles_entity_id_seen_at", "entity_id", "seen_at", "article_id"),
        Index(
            "ix_entity_articles_entity_id_published_on", "entity_id", "published_on", "article_id"
        ),
    )

    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    entity_type: Mapped[str] = mapped_column(String(32))
    mention_count: Mapped[int]
    # The article's published time, else its ingest time (the order of "newest first").
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The article's published day (UTC); NULL for undated articles, which timelines leave out.
    published_on: Mapped[date | None] = mapped_column(Date)


class EntityEvent(Base):
    """One event an entity takes part in, with the event's start date: the entity's events in
    date order, which ``event_participants`` cannot give (the date lives on the event).

    Derived from ``event_participants`` (one row per entity and event, whatever its roles) by
    the write paths that add or move participations; an event's start date never changes once
    stored, and deleting an event deletes its rows.
    """

    __tablename__ = "entity_events"
    __table_args__ = (
        Index("ix_entity_events_entity_id_date_start", "entity_id", "date_start", "event_id"),
        Index("ix_entity_events_event_id", "event_id"),
    )

    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    date_start: Mapped[date | None] = mapped_column(Date)


class EntityStats(Base):
    """An entity's counts, kept exact by the write paths so that reads never count mentions.

    One row per entity, in a table of its own rather than columns of ``entities``: every
    ingest updates the rows of the entities it names (the same hot rows, "Russia", under
    concurrent ingests), and keeping those row locks and row versions off ``entities`` means
    curation and the ingest's own entity updates never wait on them (no lock cycle), and each
    update rewrites a narrow row. ``type`` is copied so one index serves each list sort.
    """

    __tablename__ = "entity_stats"

    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    type: Mapped[str] = mapped_column(String(32))
    mention_count: Mapped[int] = mapped_column(default=0)
    article_count: Mapped[int] = mapped_column(default=0)
    # The newest article mentioning it (published, else ingested); NEVER_SEEN when none does.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=NEVER_SEEN)


# The orders of GET /v1/entities (-mentions, -last_seen), with and without a type filter.
Index(
    "ix_entity_stats_type_mention_count",
    EntityStats.type,
    EntityStats.mention_count.desc(),
    EntityStats.entity_id,
)
Index("ix_entity_stats_mention_count", EntityStats.mention_count.desc(), EntityStats.entity_id)
Index(
    "ix_entity_stats_type_last_seen_at",
    EntityStats.type,
    EntityStats.last_seen_at.desc(),
    EntityStats.entity_id,
)
Index("ix_entity_stats_last_seen_at", EntityStats.last_seen_at.desc(), EntityStats.entity_id)

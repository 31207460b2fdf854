"""Stored answers (``app.kb.answers``): articles', entities' and events' JSON, kept with the
write."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class ArticleAnswer(Base):
    """The bytes ``GET /v1/articles/{id}`` answers, built in the transaction that changed them.

    ``format`` names the code that built them (``app.kb.answers.answer_format``): a row of
    another format is ignored by reads and rebuilt by ``newskb answers``. ``shown`` is what the
    answer shows, as the read cache tags it (JSON).
    """

    __tablename__ = "article_answers"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    format: Mapped[str] = mapped_column(String(64))
    etag: Mapped[str] = mapped_column(String(40))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    shown: Mapped[str] = mapped_column(Text)


class ArticleAnswerShows(Base):
    """One article, event or entity a stored answer shows: the answers a write must rebuild.

    The primary key (what is shown first) is the look-up a write makes; the second index
    serves the cascade and the replacement of an answer's rows.
    """

    __tablename__ = "article_answer_shows"
    __table_args__ = (Index("ix_article_answer_shows_article_id", "article_id"),)

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # article, event, entity
    object_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("article_answers.article_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )


class EntityAnswer(Base):
    """``GET /v1/entities/{id}``'s bytes around its counts, built by the writes that change them.

    The counts (``mention_count``, ``article_count``, ``last_seen``) change with every article
    naming the entity: they are read from ``entity_stats`` and written between ``head`` and
    ``tail`` when the answer is read, so an ingest rebuilds only the answers of the entities
    it creates, gives an alias, states a role of or links to a state. ``format`` and
    ``shown`` as in ``ArticleAnswer``.
    """

    __tablename__ = "entity_answers"

    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    format: Mapped[str] = mapped_column(String(64))
    head: Mapped[bytes] = mapped_column(LargeBinary)
    tail: Mapped[bytes] = mapped_column(LargeBinary)
    shown: Mapped[str] = mapped_column(Text)


class EntityAnswerShows(Base):
    """One article or entity a stored entity answer shows (as ``ArticleAnswerShows``)."""

    __tablename__ = "entity_answer_shows"
    __table_args__ = (Index("ix_entity_answer_shows_entity_id", "entity_id"),)

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # article, entity
    object_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entity_answers.entity_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )


class EventItem(Base):
    """An event as lists show it (``EventRead``'s JSON: ``/v1/events``, timelines), built by
    the writes that change it, so a page of events is read, not built. ``format`` as in
    ``ArticleAnswer``.

    No foreign key to ``events``: a cascade would lock an event's row when a re-extraction
    deletes the event, early in its transaction, where a rename naming the event's entities
    waits for it while holding the entity the re-extraction's resolution waits for. The row
    goes at the commit instead, with the other stored rows (``AnswerRows.write``), and reads
    join it from ``events``, so a row left without its event is never served."""

    __tablename__ = "event_items"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    format: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)


class EventItemShows(Base):
    """One article or entity a stored event item shows (as ``ArticleAnswerShows``)."""

    __tablename__ = "event_item_shows"
    __table_args__ = (Index("ix_event_item_shows_event_id", "event_id"),)

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # article, event, entity
    object_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("event_items.event_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )

"""Stored article answers (``app.kb.answers``): each article's JSON answer, kept with the write."""

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

"""Ingest jobs: one row per document handed to the queue, with its state and outcome.

The row is the job's truth, not the broker's message (which carries only the job id): a
job's state survives a broker restart, the API answers ``GET /v1/jobs`` without asking the
broker, and a worker marks a job done in the transaction that stores its article.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow

# queued → running → done | failed; a failed job ("dead letter") can be queued again.
JOB_STATES = ("queued", "running", "done", "failed")


class Job(Base):
    __tablename__ = "ingest_jobs"
    __table_args__ = (
        Index("ix_ingest_jobs_state_id", "state", "id"),
        Index("ix_ingest_jobs_state_finished_at", "state", "finished_at"),  # retention
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    name: Mapped[str] = mapped_column(String(1000), default="")  # a file path, "feed.jsonl:3"
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # intake.Document, as JSON
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    duplicate: Mapped[bool | None] = mapped_column()  # done: the article existed before
    version: Mapped[int | None] = mapped_column(Integer)  # done: a new text at a stored URL
    problem: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the last failure
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

"""The ingest queue: where ``app.kb.jobs`` hands jobs over, and the workers that run them.

Two ``JobQueue``s: ``InlineQueue`` runs a job in the process that submitted it (no broker:
zero set-up, SQLite's path), ``RabbitQueue`` publishes its id to RabbitMQ, where ``newskb
worker`` processes (Dramatiq) pick it up. Why RabbitMQ and Dramatiq:
docs/decisions/0008-ingest-queue.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.queue.inline import InlineQueue
from app.settings import Settings

if TYPE_CHECKING:
    from app.queue.broker import RabbitQueue

__all__ = ["InlineQueue", "make_job_queue"]


def make_job_queue(settings: Settings) -> InlineQueue | RabbitQueue:
    """The broker's queue when ``NEWSKB_QUEUE_URL`` is set, else the inline one."""
    if not settings.queue_url:
        return InlineQueue(settings)
    from app.queue.broker import RabbitQueue  # only a queued deployment imports pika

    return RabbitQueue(settings)

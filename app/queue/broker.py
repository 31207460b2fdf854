"""RabbitMQ through Dramatiq: publishing job ids, and the actor that runs them in a worker.

The actor hands its job to the worker's ``Batcher`` (``app.queue.batcher``), which runs the
jobs the worker holds in one NLP batch.

A message carries only the job's id; the job's row holds the document and its state. Dramatiq
acknowledges a message after the actor returns, so a worker killed mid-article leaves it
unacknowledged and RabbitMQ delivers it again; publishes wait for the broker's confirmation,
so a 202 means the message is on the broker's disk. Retries (with exponential backoff) are
Dramatiq's; when to stop is the job's (``app.kb.jobs.run_job`` counts attempts in the row).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.errors import BrokerConnectionError
from sqlalchemy.orm import Session, sessionmaker

from app.errors import QueueUnavailable
from app.kb import health
from app.kb import jobs as kb_jobs
from app.kb.answers import Deferred
from app.kb.bulk import ExtractionProcess
from app.queue.batcher import Batcher
from app.settings import Settings

logger = logging.getLogger("newskb.queue")

ACTOR_NAME = "ingest_job"
# An article's NLP takes well under a second; this bounds a stuck one (Dramatiq interrupts it).
TIME_LIMIT_MS = 10 * 60 * 1000


@dataclass
class _Runtime:
    """What the actor needs in a worker process, set once by ``app.queue.worker``."""

    batcher: Batcher | None = None


RUNTIME = _Runtime()


def _ingest_job(job_id: int) -> None:
    if RUNTIME.batcher is None:
        raise RuntimeError("the ingest actor runs in a worker (`newskb worker`) only")
    RUNTIME.batcher.run(job_id)  # with the other jobs this worker holds: one NLP batch


def make_batcher(
    sessions: sessionmaker[Session],
    settings: Settings,
    extraction: ExtractionProcess | None = None,
    deferred: Deferred | None = None,
) -> Batcher:
    """A worker process's batcher: ``settings.worker_batch`` jobs at most per batch, their NLP
    in ``extraction``'s process when there is one, the answers of what they create left to
    ``deferred`` when given."""

    def run_batches(
        batches: Iterator[list[int]], on_settled: Callable[[int, BaseException | None], None]
    ) -> None:
        kb_jobs.run_job_batches(
            sessions,
            batches,
            on_settled=on_settled,
            model_names=settings.spacy_model,
            budget_seconds=settings.extraction_budget_seconds,
            max_attempts=settings.queue_max_attempts,
            extraction=extraction,
            deferred=deferred,
        )

    return Batcher(run_batches, settings.worker_batch)


def make_broker(settings: Settings) -> tuple[RabbitmqBroker, dramatiq.Actor[Any, Any]]:
    """A broker on ``NEWSKB_QUEUE_URL`` and the ingest actor declared on it (no I/O yet)."""
    broker = RabbitmqBroker(url=settings.queue_url, confirm_delivery=True)
    max_attempts = settings.queue_max_attempts

    def retry_when(retries: int, exc: BaseException) -> bool:
        # A database outage is waited out (backoff up to the maximum), whatever the count;
        # otherwise the job's own attempt count has the last word (it may stop sooner).
        return health.lost_connection(exc) or retries < max_attempts

    declare = dramatiq.actor(
        broker=broker,
        actor_name=ACTOR_NAME,
        queue_name=settings.queue_name,
        retry_when=retry_when,
        min_backoff=settings.queue_min_backoff_ms,
        max_backoff=settings.queue_max_backoff_ms,
        time_limit=TIME_LIMIT_MS,
    )
    return broker, declare(_ingest_job)


class RabbitQueue:
    """Publishes job ids to RabbitMQ; ``newskb worker`` processes run them."""

    asynchronous = True

    def __init__(self, settings: Settings) -> None:
        self.broker, self.actor = make_broker(settings)

    def send(self, session: Session, job_ids: Sequence[int]) -> None:
        try:
            for job_id in job_ids:
                self.actor.send(job_id)
        except BrokerConnectionError as exc:
            logger.warning("queue unavailable: %s", exc)
            raise QueueUnavailable(
                "The ingest queue's broker cannot be reached; nothing was queued. Retry later."
            ) from exc

    def close(self) -> None:
        self.broker.close()

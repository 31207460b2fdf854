"""``newskb worker``: processes that take ingest jobs from RabbitMQ and run them.

Each process loads the spaCy model once, opens its own database engine and takes up to
``2 × NEWSKB_WORKER_BATCH`` messages: one batch runs (its NLP in one ``nlp.pipe`` stream, each
article stored while the next is extracted) while the next is already delivered
(``app.queue.batcher``). The NLP runs in a child process of its own, forked with the model
loaded, so that storing never waits on spaCy for the GIL
(``NEWSKB_WORKER_EXTRACTION_PROCESS``). ``--processes N`` forks N such processes after the
model is loaded (they share its memory) and starts a new one when one dies; SIGTERM or Ctrl-C
stops them after the article in hand. More machines: start ``newskb worker`` on each.

The stored answers of what a worker creates (``app.kb.answers``) are not built in each
ingest's transaction but when the worker is idle, a third of the store's time off the ingest
path; until then reads build them, the same bytes. A worker stopped by SIGTERM spends up to
``STOP_ANSWERS_SECONDS`` storing them; what is left, and what a killed worker held, is built by
reads until ``newskb answers`` stores it.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from types import FrameType

import dramatiq
from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import make_engine, make_sessionmaker
from app.heap import freeze_heap
from app.kb import answers
from app.kb import jobs as kb_jobs
from app.kb.bulk import NLP_BATCH, ExtractionProcess
from app.kb.ingest import load_model
from app.logging import configure_logging
from app.queue import broker as queue_broker
from app.queue.batcher import Batcher
from app.settings import Settings

logger = logging.getLogger("newskb.worker")

STOP_TIMEOUT_MS = 10 * 60 * 1000  # SIGTERM: the article in hand may finish (then SIGKILL)
# Retention: every worker deletes old finished jobs this often, at most PRUNE_LIMIT a pass
# (a few short statements; workers that prune at once just find less to delete).
PRUNE_EVERY_SECONDS = 600.0
PRUNE_LIMIT = 5000
# How often an idle worker looks for answers its ingests left unbuilt (``answers.Deferred``),
# and how long a stopping worker spends storing them (the rest are left to reads).
IDLE_CHECK_SECONDS = 0.5
STOP_ANSWERS_SECONDS = 10.0


def run_worker(settings: Settings, *, processes: int = 1) -> None:
    """Run until SIGTERM or SIGINT: one worker here, or ``processes`` forked ones."""
    configure_logging(settings.log_level)
    load_model(settings.spacy_model)
    if processes <= 1:
        _serve(settings)
        return
    context = multiprocessing.get_context("fork")
    stopping = threading.Event()
    children: list[multiprocessing.process.BaseProcess] = []

    def start() -> multiprocessing.process.BaseProcess:
        child = context.Process(target=_serve, args=(settings,), daemon=False)
        child.start()
        return child

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        for child in children:
            if child.is_alive() and child.pid is not None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    children.extend(start() for _ in range(processes))
    while not stopping.is_set():
        for index, child in enumerate(children):
            if not child.is_alive() and not stopping.is_set():
                logger.warning("worker %s exited (%s); starting another", child.pid, child.exitcode)
                children[index] = start()
        stopping.wait(1.0)
    for child in children:
        child.join()


def _serve(settings: Settings) -> None:
    """One worker process: consume until told to stop, then finish the batches in hand."""
    # Forked first, while this process has a single thread (see ExtractionProcess).
    extraction = (
        ExtractionProcess(
            settings.spacy_model,
            nlp_batch=min(settings.worker_batch, NLP_BATCH),
            budget_seconds=settings.extraction_budget_seconds,
        )
        if settings.worker_extraction_process
        else None
    )
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    deferred = answers.Deferred()  # the answers of new articles, entities, events: when idle
    batcher = queue_broker.make_batcher(sessions, settings, extraction, deferred)
    queue_broker.RUNTIME.batcher = batcher
    broker, _ = queue_broker.make_broker(settings)
    # A thread per message held: one batch running, the next one delivered and waiting.
    held = 2 * settings.worker_batch
    worker = dramatiq.Worker(broker, worker_threads=held)
    worker.queue_prefetch = held
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    freeze_heap()  # the model, loaded above, above all
    worker.start()
    logger.info(
        "worker ready: batches of %s on queue %s", settings.worker_batch, settings.queue_name
    )
    next_prune = time.monotonic()
    try:
        while not stopping.wait(IDLE_CHECK_SECONDS):
            store_answers_when_due(sessions, deferred, batcher, stopping)
            if time.monotonic() >= next_prune:
                prune(sessions, settings)
                next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
    finally:
        started = time.monotonic()
        worker.stop(timeout=STOP_TIMEOUT_MS)
        batcher.stop()
        ends = time.monotonic() + STOP_ANSWERS_SECONDS
        store_answers(sessions, deferred, stop=lambda: time.monotonic() > ends)
        if extraction is not None:
            extraction.close()
        broker.close()
        engine.dispose()
        logger.info("worker stopped in %.1f s", time.monotonic() - started)


def store_answers_when_due(
    sessions: sessionmaker[Session],
    deferred: answers.Deferred,
    batcher: Batcher,
    stopping: threading.Event,
) -> None:
    """Idle, store the deferred answers until a job arrives (asked between batches of
    ``answers.DEFERRED_BATCH``); busy with ``answers.DEFERRED_LIMIT`` of them or more, store
    half of them beside the jobs."""
    if deferred and batcher.idle():
        store_answers(sessions, deferred, stop=lambda: stopping.is_set() or not batcher.idle())
    elif len(deferred) >= answers.DEFERRED_LIMIT:
        limit = answers.DEFERRED_LIMIT // 2
        store_answers(sessions, deferred, stop=lambda: stopping.is_set() or len(deferred) < limit)


def store_answers(
    sessions: sessionmaker[Session],
    deferred: answers.Deferred,
    *,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Store the answers the worker's ingests left unbuilt (``answers.defer_new``); never
    fails the worker: until stored, reads build them."""
    try:
        with sessions() as session:
            stored = answers.store_deferred(session, deferred, stop=stop)
    except Exception:
        logger.exception("storing the deferred answers failed; reads build them meanwhile")
        return
    if stored:
        logger.info("stored %s answers, %s left", stored, len(deferred))


def prune(sessions: sessionmaker[Session], settings: Settings) -> int:
    """One bounded retention pass (``NEWSKB_JOB_RETENTION_DAYS``); a failure is only logged."""
    if settings.job_retention_days <= 0:
        return 0
    try:
        with sessions() as session:
            deleted = kb_jobs.prune_jobs(
                session, older_than=timedelta(days=settings.job_retention_days), limit=PRUNE_LIMIT
            )
    except Exception as exc:  # the database is down, say: the next pass will do it
        logger.warning("pruning old jobs failed: %s", exc)
        return 0
    if deleted:
        logger.info(
            "pruned %s finished jobs older than %g days", deleted, settings.job_retention_days
        )
    return deleted

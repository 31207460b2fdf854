"""Gathers the jobs a worker's actor threads receive into batches, so their NLP runs as one.

Dramatiq hands each message to an actor thread and acknowledges it when the actor returns.
A worker runs ``2 × batch`` such threads with as many messages prefetched: each thread puts
its job here and waits; one batching thread takes up to ``batch`` waiting jobs (waiting at
most ``BATCH_WAIT_SECONDS`` for a batch to fill), runs them together (``app.kb.jobs.run_jobs``)
and answers each thread, which returns (the message is acknowledged, after its job's row was
committed) or raises (Dramatiq retries it with backoff). While one batch runs, the next
one's messages are already delivered, so the worker never waits on the broker between
batches. Dramatiq keeps everything it did before: acknowledgement after the work,
redelivery of what a killed worker held, retries, time limits.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future

logger = logging.getLogger("newskb.worker")

# How long the batching thread waits for more jobs once it has one: short next to a batch's
# NLP (about a second for 16 articles), long enough for a prefetched burst to arrive.
BATCH_WAIT_SECONDS = 0.05

RunBatch = Callable[[Sequence[int]], dict[int, BaseException | None]]


class Batcher:
    """One per worker process: ``run(job_id)`` from any thread, batches run on one thread."""

    def __init__(self, run_batch: RunBatch, size: int) -> None:
        self.run_batch = run_batch
        self.size = size
        self.inbox: queue.Queue[tuple[int, Future[None]] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="newskb-batcher", daemon=True)
        self.thread.start()

    def run(self, job_id: int) -> None:
        """Run the job with others; returns when its outcome is committed, or raises."""
        done: Future[None] = Future()
        self.inbox.put((job_id, done))
        done.result()

    def stop(self) -> None:
        """After the last ``run`` has returned: end the batching thread."""
        self.inbox.put(None)
        self.thread.join()

    def _loop(self) -> None:
        while (batch := self._next_batch()) is not None:
            self._run(batch)

    def _next_batch(self) -> list[tuple[int, Future[None]]] | None:
        first = self.inbox.get()
        if first is None:
            return None
        batch = [first]
        deadline = time.monotonic() + BATCH_WAIT_SECONDS
        while len(batch) < self.size:
            try:
                item = self.inbox.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                break
            if item is None:  # stopping: run what is here, then stop
                self.inbox.put(None)
                break
            batch.append(item)
        return batch

    def _run(self, batch: list[tuple[int, Future[None]]]) -> None:
        try:
            outcomes = self.run_batch([job_id for job_id, _ in batch])
        except BaseException as exc:  # the database is down, say: every job comes again
            logger.warning("a batch of %s jobs failed: %s", len(batch), exc)
            for _, done in batch:
                done.set_exception(exc)
            return
        for job_id, done in batch:
            if (error := outcomes.get(job_id)) is not None:
                done.set_exception(error)
            else:
                done.set_result(None)

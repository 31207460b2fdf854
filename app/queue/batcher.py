"""Gathers the jobs a worker's actor threads receive into batches, so their NLP runs as one.

Dramatiq hands each message to an actor thread and acknowledges it when the actor returns.
A worker runs ``2 × batch`` such threads with as many messages prefetched: each thread puts
its job here and waits; one batching thread takes up to ``batch`` waiting jobs (waiting at
most ``BATCH_WAIT_SECONDS`` for a batch to fill) and feeds them to one long-running stream
(``app.kb.jobs.run_job_batches``: batch N's articles are stored by a writer thread while batch
N+1 is extracted), which answers each thread as soon as its job's outcome is committed: the
thread returns (the message is acknowledged) or raises (Dramatiq retries it with backoff).
While one batch is extracted, the next one's messages are already delivered, so the worker
never waits on the broker between batches. Dramatiq keeps everything it did before:
acknowledgement after the work, redelivery of what a killed worker held, retries, time limits.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future

logger = logging.getLogger("newskb.worker")

# How long the batching thread waits for more jobs once it has one: short next to a batch's
# NLP (about a second for 16 articles), long enough for a prefetched burst to arrive.
BATCH_WAIT_SECONDS = 0.05

# Runs the batches it is given until they end, answering each job through the callback.
RunBatches = Callable[[Iterator[list[int]], Callable[[int, BaseException | None], None]], None]


class Batcher:
    """One per worker process: ``run(job_id)`` from any thread; the batches run on one thread."""

    def __init__(self, run_batches: RunBatches, size: int) -> None:
        self.run_batches = run_batches
        self.size = size
        self.inbox: queue.Queue[int | None] = queue.Queue()
        self.waiting: dict[int, list[Future[None]]] = {}  # job id → its deliveries' answers
        self.lock = threading.Lock()
        self.ended = False  # the inbox said stop: no batch will come
        self.thread = threading.Thread(target=self._loop, name="newskb-batcher", daemon=True)
        self.thread.start()

    def run(self, job_id: int) -> None:
        """Run the job with others; returns when its outcome is committed, or raises."""
        done: Future[None] = Future()
        with self.lock:
            self.waiting.setdefault(job_id, []).append(done)
        self.inbox.put(job_id)
        done.result()

    def idle(self) -> bool:
        """No job in hand or waiting to be batched (a message may be on its way)."""
        with self.lock:
            return not self.waiting and self.inbox.empty()

    def stop(self) -> None:
        """After the last ``run`` has returned: end the batching thread."""
        self.inbox.put(None)
        self.thread.join()

    def _answer(self, job_id: int, error: BaseException | None) -> None:
        """Every delivery of the job waiting here gets the outcome (called once per run)."""
        with self.lock:
            answers = self.waiting.pop(job_id, [])
        for done in answers:
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)

    def _loop(self) -> None:
        batches = self._batches()
        while True:
            try:
                self.run_batches(batches, self._answer)
                return
            except BaseException as exc:  # a bug, or the worker is stopping: nothing left hung
                logger.exception("the batch runner failed")
                with self.lock:
                    stranded = list(self.waiting)
                for job_id in stranded:
                    self._answer(job_id, exc)
                if self.ended or not isinstance(exc, Exception):
                    raise

    def _batches(self) -> Iterator[list[int]]:
        """Up to ``size`` jobs at a time: all waiting, else what arrives within the wait."""
        while True:
            first = self.inbox.get()
            if first is None:
                self.ended = True
                return
            batch = [first]
            deadline = time.monotonic() + BATCH_WAIT_SECONDS
            stopping = False
            while len(batch) < self.size:
                try:
                    item = self.inbox.get(timeout=max(deadline - time.monotonic(), 0))
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            yield batch
            if stopping:
                self.ended = True
                return

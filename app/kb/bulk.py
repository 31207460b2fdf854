"""Bulk ingest: parse, drop duplicates before any NLP, batch the NLP, one transaction per article.

The steps are the ingest door's (``app.kb.intake``: ``parse``, then ``store``), run over batches;
the duplicate check is the door's too, for a whole batch in one query.

With ``n_process > 1`` the whole extraction (spaCy and every extractor) runs in a pool of worker
processes, each loading the model once; they return picklable ``ExtractedArticle``s and this
process, the only one that touches the database, stores them while the workers go on. Parsing
and the duplicate checks stay here, so a duplicate never costs NLP. Each article still commits
on its own, so a crash loses at most the articles in flight. Results arrive in completion order.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import islice
from typing import Protocol, TypeVar

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from app.extract.document import content_hash, too_long
from app.extract.types import ExtractedArticle, ParsedArticle
from app.kb import answers, versions
from app.kb.ingest import extract_many, find_existing_ids, iter_extract, within_budget
from app.kb.intake import Document, parse, store
from app.kb.sql.dialect import refresh_statistics
from app.kb.sql.transaction import committing

__all__ = [
    "BulkReport",
    "Document",
    "ExtractionProcess",
    "Stages",
    "ingest_documents",
    "run_pipelined",
]

logger = logging.getLogger("newskb.ingest")

# Planner statistics are refreshed when the load has stored this many articles, then each time
# it doubles (a log of the load's size in ANALYZE runs), and once at the end.
FIRST_ANALYZE = 100

# Texts (an article is 2-4) per spaCy minibatch in one process: an article is stored and
# reported at most a minibatch after it entered the pipe (about a second here, instead of 64
# texts' worth); en_core_web_sm on CPU measured the same throughput at 16 as at 64.
NLP_BATCH = 16

# Articles per worker task: small enough to balance two workers to the end of a load, large
# enough that each task is one well-filled ``nlp.pipe`` batch (an article is 2-4 texts).
WORKER_CHUNK = 16


@dataclass
class BulkReport:
    """``duplicates``: already stored, nothing written. ``near_duplicates``: created too, and
    linked to the first copy they repeat. ``versions``: new texts of stored articles."""

    created: list[tuple[str, int]] = field(default_factory=list)
    duplicates: list[tuple[str, int]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    near_duplicates: list[tuple[str, int]] = field(default_factory=list)
    versions: list[tuple[str, int]] = field(default_factory=list)


Fresh = list[tuple[Document, ParsedArticle]]
Batch = TypeVar("Batch")  # what a batch holds (documents, job ids)
Item = TypeVar("Item")  # what ``prepare`` makes of one to extract and write


def ingest_documents(
    sessions: sessionmaker[Session],
    documents: Iterable[Document],
    *,
    model_names: str,
    batch_size: int = 64,
    n_process: int = 1,
    on_done: Callable[[str, str], None] | None = None,
) -> BulkReport:
    """Ingest many documents; ``on_done(name, outcome)`` reports each one (for progress bars)."""
    store = _Store(sessions, on_done)
    if n_process <= 1:
        _run_inline(store, documents, model_names=model_names, batch_size=batch_size)
    else:
        _run_pool(
            store, documents, model_names=model_names, batch_size=batch_size, n_process=n_process
        )
    return store.finish()


def _run_inline(
    store: _Store, documents: Iterable[Document], *, model_names: str, batch_size: int
) -> None:
    """One process: extract article N+1 while a writer thread stores article N."""
    run_pipelined(
        store,
        _batches(documents, batch_size),
        model_names=model_names,
        nlp_batch=min(batch_size, NLP_BATCH),
    )


class Stages(Protocol[Batch, Item]):
    """The database side of ``run_pipelined``: what to extract, and how to store it."""

    sessions: sessionmaker[Session]

    def prepare(self, batch: list[Batch]) -> list[tuple[Item, ParsedArticle]]:
        """Parse a batch, settle what needs no NLP (duplicates, refusals); the rest to extract."""

    def write(
        self, fresh: list[tuple[Item, ParsedArticle]], extracted: list[ExtractedArticle]
    ) -> None:
        """Store each extracted article in its own transaction."""


def run_pipelined(
    stages: Stages[Batch, Item],
    batches: Iterable[list[Batch]],
    *,
    model_names: str,
    nlp_batch: int = NLP_BATCH,
    budget_seconds: float = 0.0,
    writes_in_flight: int = 1,
    extraction: ExtractionProcess | None = None,
) -> None:
    """Batch the NLP; store article N in a writer thread while article N+1 is extracted.

    Used by bulk ingest (``Document``s) and by the queue's workers (jobs). Each batch is
    prepared (parsed, duplicates dropped) then extracted in one ``nlp.pipe`` stream, but each
    article is stored (and reported) as soon as spaCy is done with it, so progress moves per
    article rather than per batch. A write mostly waits on the database (its own process, on
    another core) and spaCy's matrix products release the GIL, so the two overlap instead of
    taking turns. The articles are committed in input order, by one writer thread, with at
    most ``writes_in_flight`` waiting for it (1 keeps a bulk load's memory bounded; the
    queue's workers allow a batch's worth, so that spaCy's next minibatch, or the next batch,
    need not wait for the writes of the last one). Sessions bound to one connection (a
    caller's outer transaction, as in tests) cannot be used from two threads at once: those
    are written in turn.

    With ``extraction``, the NLP runs in that process instead: batch N+1 is extracted there
    while the writer thread waits for batch N and stores it (so the last batch is stored even
    while ``batches`` waits for more, as a queue's worker waits on its broker), two batches in
    flight at most.

    ``budget_seconds`` (when positive) bounds each step of the extraction (spaCy reads up to
    ``nlp_batch`` texts in one step): ``ExtractionTooSlow`` is raised, after the write in
    flight has finished, and the caller decides what to do with the articles not written.
    """
    threaded = not isinstance(stages.sessions.kw.get("bind"), Connection)
    in_flight = writes_in_flight if extraction is None else 2
    with ThreadPoolExecutor(1, thread_name_prefix="newskb-writer") as writer:
        writing: deque[Future[None]] = deque()

        def hand_over(write: Callable[..., None], *args: object) -> None:
            if not threaded:
                write(*args)
                return
            while len(writing) >= in_flight:
                writing.popleft().result()
            writing.append(writer.submit(write, *args))

        try:
            for batch in batches:
                fresh = stages.prepare(batch)
                if not fresh:  # all duplicates or empty: no NLP, not even the model
                    continue
                parsed = [p for _, p in fresh]
                if extraction is not None:
                    hand_over(_store_extracted, stages, fresh, extraction.submit(parsed))
                    continue
                extracted = _extracted_within_budget(parsed, model_names, nlp_batch, budget_seconds)
                for item, result in zip(fresh, extracted, strict=True):
                    hand_over(stages.write, [item], [result])
        finally:
            while writing:
                writing.popleft().result()


class ExtractionProcess:
    """A process of its own for the NLP, so that storing (in the caller's) never waits on it.

    A Python process runs one thread at a time. A writer thread beside spaCy gets the GIL back
    after each of its database round trips only when spaCy lets go (up to the 5 ms switch
    interval), so with ~20 statements per article the two mostly take turns. Here the whole
    extraction (spaCy, the entity patterns, every extractor, each article within its time
    budget) runs in one forked child that shares the loaded model's memory, and returns
    picklable ``ExtractedArticle``s. Create it before the process starts threads: a fork copies
    only the calling thread, and a lock another thread held would stay held in the child. A
    child that dies (killed, out of memory) fails its batch with ``BrokenProcessPool``; the
    next batch gets a new child, spawned (a fork is no longer safe then), which loads the model.
    """

    def __init__(
        self, model_names: str, *, nlp_batch: int = NLP_BATCH, budget_seconds: float = 0.0
    ) -> None:
        self.settings = (model_names, nlp_batch, budget_seconds)
        self.pool = self._start("fork")
        self.pool.submit(_extraction_ready).result()  # forked now, not from a later thread

    def _start(self, method: str) -> ProcessPoolExecutor:
        if method not in multiprocessing.get_all_start_methods():
            method = "spawn"
        return ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context(method),
            initializer=_init_extraction_process,
            initargs=self.settings,
        )

    def submit(self, articles: list[ParsedArticle]) -> Future[list[ExtractedArticle]]:
        """Extract there; the languages are detected here first, off that process's path."""
        from app.extract.pipeline import with_language

        articles = [with_language(article) for article in articles]
        try:
            return self.pool.submit(_extract_within_budget, articles)
        except BrokenProcessPool:
            logger.warning("the extraction process died; starting another")
            self.pool.shutdown(wait=False)
            self.pool = self._start("spawn")
            return self.pool.submit(_extract_within_budget, articles)

    def close(self) -> None:
        self.pool.shutdown()


def _store_extracted(
    stages: Stages[Batch, Item],
    fresh: list[tuple[Item, ParsedArticle]],
    extracting: Future[list[ExtractedArticle]],
) -> None:
    stages.write(fresh, extracting.result())


_extraction_settings: list[tuple[str, int, float]] = []


def _init_extraction_process(model_names: str, nlp_batch: int, budget_seconds: float) -> None:
    """Load the model (a fork has it already); die with the parent; leave signals to it."""
    from app.extract.nlp import get_nlp

    if sys.platform == "linux":  # a SIGKILLed worker must not leave its child behind
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    # Ctrl-C and SIGTERM reach the whole process group: the parent decides when this ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _extraction_settings[:] = [(model_names, nlp_batch, budget_seconds)]
    get_nlp(model_names)
    # What the worker built (the model above all) is never garbage: the collector need not
    # walk it, nor write to its pages, which the fork shares with the worker until written.
    gc.freeze()


def _extraction_ready() -> None:
    """Nothing: submitted once so that the pool forks its child at once."""


def _extract_within_budget(articles: list[ParsedArticle]) -> list[ExtractedArticle]:
    """In the extraction process: as ``run_pipelined`` extracts, each article within budget."""
    return list(_extracted_within_budget(articles, *_extraction_settings[0]))


def _extracted_within_budget(
    articles: list[ParsedArticle], model_names: str, nlp_batch: int, budget_seconds: float
) -> Iterator[ExtractedArticle]:
    """Each article as spaCy finishes it, each step of the stream within the budget."""
    extracted = iter_extract(articles, model_names=model_names, batch_size=nlp_batch)
    for _ in articles:
        with within_budget(budget_seconds, "Extraction"):
            result = next(extracted)
        yield result


def _run_pool(
    store: _Store,
    documents: Iterable[Document],
    *,
    model_names: str,
    batch_size: int,
    n_process: int,
) -> None:
    """Keep ``2 * n_process`` tasks in flight; write each finished task in this process.

    Like spaCy's own ``nlp.pipe(n_process=...)``, workers are forked after the model is loaded
    here, so they share it instead of each loading it again (seconds per worker); ``spawn``
    where there is no ``fork``. The workers never touch this process's database connections.
    A worker that dies (killed, out of memory) raises ``BrokenProcessPool`` here, never a hang.
    """
    from app.extract.nlp import get_nlp

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    if context.get_start_method() == "fork":
        get_nlp(model_names)
    with ProcessPoolExecutor(
        n_process, mp_context=context, initializer=_init_worker, initargs=(model_names, batch_size)
    ) as pool:
        batches = _batches(documents, min(batch_size, WORKER_CHUNK))
        in_flight: dict[Future[list[ExtractedArticle]], Fresh] = {}
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < 2 * n_process:
                batch = next(batches, None)
                if batch is None:
                    exhausted = True
                elif fresh := store.prepare(batch):
                    in_flight[pool.submit(_extract_in_worker, [p for _, p in fresh])] = fresh
            if not in_flight:
                return
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                store.write(in_flight.pop(future), future.result())


_worker_settings: dict[str, tuple[str, int]] = {}


def _init_worker(model_names: str, batch_size: int) -> None:
    """Load the spaCy model once per worker, before its first task."""
    from app.extract.nlp import get_nlp

    _worker_settings["extract"] = (model_names, batch_size)
    get_nlp(model_names)


def _extract_in_worker(articles: list[ParsedArticle]) -> list[ExtractedArticle]:
    model_names, batch_size = _worker_settings["extract"]
    return extract_many(articles, model_names=model_names, batch_size=batch_size)


class _Store:
    """The database side of a bulk load: duplicate checks before NLP, then one commit per article.

    Copies inside the load (same content hash) wait for their original's outcome, so they cost
    neither NLP nor a write even when the original is still in a worker. ``prepare`` and
    ``write`` may run in two threads at once: the copies in waiting and the progress callback
    are shared under a lock.
    """

    def __init__(
        self, sessions: sessionmaker[Session], on_done: Callable[[str, str], None] | None
    ) -> None:
        self.sessions = sessions
        self.on_done = on_done
        self.report = BulkReport()
        self.waiting: dict[str, list[str]] = {}  # content hash in flight → names of its copies
        self.lock = threading.RLock()
        self.next_analyze = FIRST_ANALYZE
        # The answers of new articles, entities and events, stored once the load is done.
        self.deferred = answers.Deferred()

    def done(self, name: str, outcome: str) -> None:
        if self.on_done is not None:
            with self.lock:
                self.on_done(name, outcome)

    def prepare(self, batch: list[Document]) -> Fresh:
        """Parse a batch; report empty and already stored documents; return the ones to extract."""
        parsed_batch: list[tuple[Document, ParsedArticle, str]] = []
        for document in batch:
            parsed = parse(document)
            if not parsed.body.strip() or too_long(parsed):
                reason = "no text once cleaned" if not parsed.body.strip() else "text too long"
                self.report.failed.append((document.name, reason))
                self.done(document.name, "failed")
                continue
            parsed_batch.append((document, parsed, content_hash(parsed)))
        fresh: Fresh = []
        stored: list[tuple[str, int]] = []
        with self.lock:
            # Under the lock, in a fresh transaction (a SQLite snapshot would miss later
            # commits): an original being written is either still waiting (this is its copy)
            # or committed (found here), never neither.
            with self.sessions() as session:
                by_hash, by_url = find_existing_ids(
                    session,
                    content_hashes=(digest for _, _, digest in parsed_batch),
                    urls=(parsed.url for _, parsed, _ in parsed_batch if parsed.url),
                )
                # Hook: versions (app.kb.versions): a new text at a stored URL is extracted.
                revised = versions.new_texts(
                    session,
                    [
                        (parsed.url, digest)
                        for _, parsed, digest in parsed_batch
                        if parsed.url and parsed.url in by_url and digest not in by_hash
                    ],
                )
            for document, parsed, digest in parsed_batch:
                stored_url = None if (parsed.url, digest) in revised else parsed.url
                if digest in self.waiting:
                    self.waiting[digest].append(document.name)
                elif (found := by_hash.get(digest) or by_url.get(stored_url or "")) is not None:
                    stored.append((document.name, found))
                else:
                    self.waiting[digest] = []
                    fresh.append((document, parsed))
        for name, article_id in stored:
            self.report.duplicates.append((name, article_id))
            self.done(name, "duplicate")
        return fresh

    def write(self, fresh: Fresh, extracted: list[ExtractedArticle]) -> None:
        """Store each article in its own transaction, all through one session."""
        with self.sessions() as session:
            answers.defer_new(session, self.deferred)
            for (document, _), result in zip(fresh, extracted, strict=True):
                self._write_one(session, document, result)
            answers.store_if_too_many(session, self.deferred)

    def _write_one(self, session: Session, document: Document, result: ExtractedArticle) -> None:
        try:
            outcome = store(session, document, result)
            article_id = outcome.article.id
            with self.lock:  # committed: copies prepared from now on find it stored
                copies = self.waiting.pop(result.content_hash, [])
        except Exception as exc:  # one bad article must not stop an archive load
            session.rollback()
            with self.lock:
                copies = self.waiting.pop(result.content_hash, [])
            self.report.failed.append((document.name, f"{exc.__class__.__name__}: {exc}"))
            self.done(document.name, "failed")
            for name in copies:
                self.report.failed.append((name, "a copy of a document that failed"))
                self.done(name, "failed")
            return
        finally:
            session.expunge_all()  # each article is its own unit: keep the identity map empty
        if outcome.created:
            self.report.created.append((document.name, article_id))
            if outcome.duplicate_of is not None:
                self.report.near_duplicates.append((document.name, article_id))
            self.done(document.name, "created")
        elif outcome.version is not None:
            self.report.versions.append((document.name, article_id))
            self.done(document.name, "version")
        else:
            self.report.duplicates.append((document.name, article_id))
            self.done(document.name, "duplicate")
        for name in copies:
            self.report.duplicates.append((name, article_id))
            self.done(name, "duplicate")
        if len(self.report.created) >= self.next_analyze:
            self.next_analyze *= 2
            self.refresh_statistics()

    def refresh_statistics(self) -> None:
        with self.sessions() as session, committing(session):
            refresh_statistics(session)

    def finish(self) -> BulkReport:
        if self.report.created:
            self.refresh_statistics()
        with self.sessions() as session:
            store_all_deferred(session, self.deferred)
        return self.report


def store_all_deferred(session: Session, deferred: answers.Deferred, *, tries: int = 50) -> None:
    """Store the deferred answers, waiting a little while writes hold some (each is built by
    reads until stored: one left is slower to read, never wrong)."""
    try:
        for _ in range(tries):
            answers.store_deferred(session, deferred)
            if not deferred:
                return
            time.sleep(0.1)
    except Exception:  # the load itself is committed: its answers are not lost, only slower
        logger.exception("storing the deferred answers failed")
    logger.warning("%s answers left to build: `newskb answers` stores them", len(deferred))


def _batches(items: Iterable[Document], size: int) -> Iterator[list[Document]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch

"""Ingest jobs: hand documents to a queue, run each once in a worker, report their state.

A job's row (``app.db.models.jobs``) is its truth; the broker's message carries only the id.
Delivery is at least once (a killed worker's message comes again, a publish may repeat), so
running a job is idempotent: a job already done is not run again, the article and the job's
``done`` commit in one transaction, and the article's unique content hash and URL catch a
document that two deliveries ingest at the same moment.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db.base import utcnow
from app.db.engine import end_transaction
from app.db.models import Job
from app.db.models.jobs import JOB_STATES
from app.errors import Conflict, NewsKBError, NotFound, QueueFull, QueueUnavailable
from app.extract import types as x
from app.extract.document import content_hash
from app.kb import answers, health
from app.kb.bulk import NLP_BATCH, ExtractionProcess, run_pipelined
from app.kb.intake import (
    Document,
    IngestResult,
    find_duplicate,
    ingest_document,
    parse_checked,
    store,
)
from app.kb.sql.pagination import CursorCodec, Page, SortKey, keyset_page
from app.kb.sql.transaction import committing

logger = logging.getLogger("newskb.jobs")

PROBLEM_BASE = "https://newskb.dev/problems/"


class JobQueue(Protocol):
    """Where submitted jobs go: a broker that workers read, or this process (inline)."""

    #: True when ``send`` only hands the jobs over (workers run them later).
    asynchronous: bool

    def send(self, session: Session, job_ids: Sequence[int]) -> None:
        """Hand the jobs over; raises ``QueueUnavailable`` when the broker cannot take them."""


@dataclass(frozen=True)
class QueueStats:
    """What ``/metrics`` shows of the queue: jobs by state and outcome, the oldest's ages."""

    by_state: dict[str, int]
    outcomes: dict[str, int]  # created, version, duplicate, failed
    retrying: int  # queued or running past their first attempt
    ages: dict[str, float]  # seconds: the oldest queued (since submitted), running (started)


def encode_document(document: Document) -> dict[str, Any]:
    values = dataclasses.asdict(document)
    if document.published_at is not None:
        values["published_at"] = document.published_at.isoformat()
    return values


def decode_document(values: dict[str, Any]) -> Document:
    published = values.get("published_at")
    fields = {f.name for f in dataclasses.fields(Document)}
    return Document(
        **{k: v for k, v in values.items() if k in fields and k != "published_at"},
        published_at=datetime.fromisoformat(published) if published else None,
    )


def submit_documents(
    session: Session, documents: Sequence[Document], *, queue: JobQueue, max_depth: int
) -> list[Job]:
    """Store a job per document and hand them to the queue; their rows, as they stand after.

    Refused as a whole (``QueueFull``) when the waiting jobs would pass ``max_depth`` (0 = no
    limit). When the broker cannot take them, the jobs are marked failed (retryable) and
    ``QueueUnavailable`` is raised: a client is never told "accepted" for a job no worker
    will see.
    """
    with committing(session):
        if max_depth and queue.asynchronous:
            depth = session.scalar(select(func.count()).where(Job.state == "queued")) or 0
            if depth + len(documents) > max_depth:
                raise QueueFull(
                    f"The ingest queue holds {depth} waiting jobs, at most {max_depth} are "
                    "accepted; retry later."
                )
        jobs = [Job(state="queued", name=d.name, document=encode_document(d)) for d in documents]
        session.add_all(jobs)
        session.flush()
        ids = [job.id for job in jobs]
    try:
        queue.send(session, ids)
    except QueueUnavailable as exc:
        with committing(session):
            session.execute(
                update(Job)
                .where(Job.id.in_(ids), Job.state == "queued")
                .values(state="failed", problem=_problem(exc), finished_at=utcnow())
            )
        raise
    return _reload(session, ids)


def retry_job(session: Session, job_id: int, *, queue: JobQueue) -> Job:
    """Queue a failed job ("dead letter") again, its attempts counted from zero.

    A job still ``queued`` is sent again as it is: a crash between committing a job and
    publishing it leaves one with no message, and an extra delivery is harmless.
    """
    with committing(session):
        job = session.get(Job, job_id, with_for_update=True)
        if job is None:
            raise NotFound(f"Job {job_id} does not exist.")
        if job.state not in ("failed", "queued"):
            raise Conflict(
                f"Job {job_id} is {job.state}: only a failed or queued job is sent again."
            )
        if job.state == "failed":
            job.state, job.attempts, job.problem = "queued", 0, None
            job.started_at = job.finished_at = None
    queue.send(session, [job_id])
    return _reload(session, [job_id])[0]


# Jobs deleted per statement when pruning: a short transaction each, however many are old.
PRUNE_CHUNK = 1000


def prune_jobs(
    session: Session,
    *,
    older_than: timedelta,
    failed: bool = False,
    limit: int | None = None,
) -> int:
    """Delete the jobs done more than ``older_than`` ago (with ``failed``, failed ones too).

    Done jobs include duplicates and versions; a failed job stays (it is a dead letter to
    look at and retry) unless asked. Deletes ``PRUNE_CHUNK`` jobs per transaction, at most
    ``limit`` in all (a worker's periodic, bounded pass); returns how many were deleted.
    """
    cutoff = utcnow() - older_than
    states = ("done", "failed") if failed else ("done",)
    deleted = 0
    while limit is None or deleted < limit:
        chunk = PRUNE_CHUNK if limit is None else min(PRUNE_CHUNK, limit - deleted)
        old = (
            select(Job.id)
            .where(Job.state.in_(states), Job.finished_at < cutoff)
            .order_by(Job.id)
            .limit(chunk)
        )
        with committing(session):
            ids = list(session.scalars(old))
            if ids:
                session.execute(
                    delete(Job).where(Job.id.in_(ids)),
                    execution_options={"synchronize_session": False},
                )
        deleted += len(ids)
        if len(ids) < chunk:
            break
    return deleted


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"Job {job_id} does not exist.")
    return job


def list_jobs(
    session: Session, *, state: str | None, limit: int, cursor: str | None, codec: CursorCodec
) -> Page[Job]:
    """Newest first, optionally in one state (``failed`` lists the dead letters)."""
    query = select(Job)
    if state:
        query = query.where(Job.state == state)
    return keyset_page(
        session,
        query,
        scope=f"jobs:{state}",
        keys=[SortKey(Job.id, descending=True)],
        row_values=lambda job: (job.id,),
        limit=limit,
        cursor=cursor,
        codec=codec,
    )


def finished_jobs(session: Session, job_ids: Sequence[int]) -> list[Job]:
    """Those of the jobs that are done or failed (for following a submission)."""
    found: list[Job] = []
    for start in range(0, len(job_ids), 1000):
        chunk = job_ids[start : start + 1000]
        query = select(Job).where(Job.id.in_(chunk), Job.state.in_(("done", "failed")))
        found.extend(session.scalars(query))
    return found


def queue_stats(session: Session) -> QueueStats | None:
    """The queue's figures from the jobs table; None when the database cannot be reached."""
    try:
        return _queue_stats(session)
    except Exception as exc:
        if not health.lost_connection(exc):
            raise
        return None


def _queue_stats(session: Session) -> QueueStats:
    by_state = dict.fromkeys(JOB_STATES, 0)
    outcomes = {"created": 0, "version": 0, "duplicate": 0, "failed": 0}
    versioned = Job.version.is_not(None)
    query = select(Job.state, Job.duplicate, versioned, func.count()).group_by(
        Job.state, Job.duplicate, versioned
    )
    for state, duplicate, version, count in session.execute(query):
        by_state[state] += count
        if state == "done":
            outcomes["duplicate" if duplicate else "version" if version else "created"] += count
        elif state == "failed":
            outcomes["failed"] += count
    now = utcnow()
    oldest = {
        "queued": select(func.min(Job.created_at)).where(Job.state == "queued"),
        "running": select(func.min(Job.started_at)).where(Job.state == "running"),
    }
    ages = {}
    for state, statement in oldest.items():
        moment = session.scalar(statement)
        ages[state] = max((now - _aware(moment)).total_seconds(), 0.0) if moment else 0.0
    retried = select(func.count()).where(Job.state.in_(("queued", "running")), Job.attempts > 0)
    retrying = session.scalar(retried) or 0
    end_transaction(session)
    return QueueStats(by_state=by_state, outcomes=outcomes, retrying=retrying, ages=ages)


def _aware(moment: datetime) -> datetime:
    """``min()`` bypasses the column type: SQLite hands back a naive UTC time (or text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_job(
    session: Session,
    job_id: int,
    *,
    model_names: str,
    budget_seconds: float,
    max_attempts: int,
) -> None:
    """Run one delivery of a job; raises when the job should be delivered again later.

    A refused document (a domain error: empty, too long, too slow) fails at once: retrying
    cannot help. Any other error is retried until ``max_attempts``, then the job fails (its
    dead-letter state). A delivery that finds its job done or failed does nothing.
    """
    with committing(session):
        row = session.get(Job, job_id, with_for_update=True)
        claimed = _claim(row, max_attempts) if row is not None else None
    if claimed is not None:
        error = _run_claimed(
            session, claimed, model_names=model_names, budget_seconds=budget_seconds
        )
        if error is not None:
            raise error


Settled = Callable[[int, BaseException | None], None]


def run_jobs(
    sessions: sessionmaker[Session],
    job_ids: Sequence[int],
    *,
    model_names: str,
    budget_seconds: float,
    max_attempts: int,
) -> dict[int, BaseException | None]:
    """``run_job_batches`` over one batch: what each job's message needs, by job id."""
    results: dict[int, BaseException | None] = {}
    run_job_batches(
        sessions,
        [list(job_ids)],
        on_settled=results.__setitem__,
        model_names=model_names,
        budget_seconds=budget_seconds,
        max_attempts=max_attempts,
    )
    return results


def run_job_batches(
    sessions: sessionmaker[Session],
    batches: Iterable[list[int]],
    *,
    on_settled: Settled,
    model_names: str,
    budget_seconds: float,
    max_attempts: int,
    extraction: ExtractionProcess | None = None,
    deferred: answers.Deferred | None = None,
) -> None:
    """Run one delivery of each job, a batch's NLP in one stream, as bulk ingest does.

    ``on_settled(job_id, error)`` is called once per job, as soon as its outcome is committed
    (from the writer thread, for a stored article): ``error`` None means acknowledge the
    message (done, failed for good, or not to run); an exception means deliver it again later,
    as ``run_job`` raising would. The steps are bulk ingest's (``app.kb.bulk.run_pipelined``):
    a batch is claimed, parsed and checked for duplicates, extracted in one ``nlp.pipe``
    stream, each article stored in its own transaction by a writer thread while the next ones,
    and the next batch, are extracted. Each job is marked done in the transaction that stores
    its article. With ``extraction``, the NLP runs in that process instead, while this one
    stores. When extraction fails (a document too slow, a crash in a model, the extraction
    process killed), the jobs in hand not yet settled run one at a time through the ingest
    door here, which pins the failure on the document that causes it, and the stream goes on.
    With ``deferred``, the answers of what the stream creates are left there
    (``answers.defer_new``) for the worker to store when it is idle.
    """
    stages = _JobStages(sessions, on_settled, budget_seconds, max_attempts, deferred)
    remaining = iter(batches)
    while True:
        try:
            run_pipelined(
                stages,
                remaining,
                model_names=model_names,
                budget_seconds=budget_seconds,
                writes_in_flight=NLP_BATCH,
                extraction=extraction,
            )
            return
        except Exception as exc:
            alone = list(stages.in_hand.values())
            stages.copies.clear()  # copies in hand run alone too: the door finds them stored
            logger.warning("extraction of a batch failed (%s); %s jobs run alone", exc, len(alone))
            for job in alone:
                with sessions() as session:
                    error = _run_claimed(
                        session, job, model_names=model_names, budget_seconds=budget_seconds
                    )
                stages.settle(job, error)


@dataclass
class _Claimed:
    """A job marked running for this delivery: its document, and whether this is its last try."""

    job_id: int
    stored: dict[str, Any]
    final: bool
    document: Document | None = None  # decoded by the batch's ``prepare``


def _claim(job: Job, max_attempts: int) -> _Claimed | None:
    """Mark the job running and count the attempt; None when there is nothing to run.

    Runs in the caller's transaction, the row locked. A job whose attempts are spent fails
    here: a document that kills its worker (out of memory, a crash in native code) never gets
    to record a failure itself.
    """
    if job.state in ("done", "failed"):
        return None
    if job.attempts >= max_attempts:
        job.state, job.finished_at = "failed", utcnow()
        job.problem = job.problem or {
            "type": PROBLEM_BASE + "ingest-failed",
            "title": "The document could not be ingested",
            "status": 500,
            "detail": f"The worker stopped during each of {job.attempts} attempts.",
        }
        logger.warning("job %s failed: attempts spent", job.id)
        return None
    job.state, job.attempts, job.started_at = "running", job.attempts + 1, utcnow()
    return _Claimed(job.id, job.document, job.attempts >= max_attempts)


def _run_claimed(
    session: Session, job: _Claimed, *, model_names: str, budget_seconds: float
) -> BaseException | None:
    """One claimed job through the ingest door; the error to raise when it must come again."""
    try:
        ingest_document(
            session,
            decode_document(job.stored),
            model_names=model_names,
            budget_seconds=budget_seconds,
            then=_finisher(job.job_id),
        )
    except Exception as exc:
        return _settle_failure(session, job, exc)
    return None


def _finisher(job_id: int) -> Callable[[Session, IngestResult], None]:
    """The ingest door's ``then`` hook: the job is done in the transaction that stores it."""

    def finish(session: Session, result: IngestResult) -> None:
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state != "done")
            .values(
                state="done",
                article_id=result.article.id,
                duplicate=not result.created and result.version is None,
                version=result.version,
                finished_at=utcnow(),
            )
        )

    return finish


def _settle_failure(session: Session, job: _Claimed, exc: BaseException) -> BaseException | None:
    """Record a failed attempt; the exception when the message must be delivered again.

    A refused document (a 4xx problem) fails for good at once; a 5xx problem is recorded and
    raised (a final one fails the job: its next delivery does nothing); anything else is
    retried until the job's last attempt.
    """
    if isinstance(exc, NewsKBError) and exc.status < 500:
        _record_failure(session, job.job_id, exc, final=True)
        return None
    _record_failure(session, job.job_id, exc, final=job.final)
    return exc if isinstance(exc, NewsKBError) or not job.final else None


class _JobStages:
    """``run_pipelined``'s stages for jobs: claim a batch, settle what needs no NLP, store.

    ``in_hand`` holds the jobs claimed and not yet settled. A delivery of a job already in
    hand (a message delivered twice to this worker) is not claimed again: its message is
    answered with the job's outcome. Copies inside the batch (same content hash) wait for
    their original and are recorded as its duplicates (or fail with it), costing neither NLP
    nor a write.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        on_settled: Settled,
        budget_seconds: float,
        max_attempts: int,
        deferred: answers.Deferred | None = None,
    ) -> None:
        self.sessions = sessions
        self.on_settled = on_settled
        self.deferred = deferred
        self.budget_seconds = budget_seconds
        self.max_attempts = max_attempts
        self.in_hand: dict[int, _Claimed] = {}
        self.copies: dict[str, list[_Claimed]] = {}  # content hash → copies waiting
        self.lock = threading.Lock()  # ``in_hand`` and ``copies``: the writer settles too

    def settle(self, job: _Claimed, error: BaseException | None) -> None:
        with self.lock:
            self.in_hand.pop(job.job_id, None)
        self.on_settled(job.job_id, error)

    def prepare(self, batch: list[int]) -> list[tuple[_Claimed, x.ParsedArticle]]:
        claimed = self._claim(batch)
        parsed: list[tuple[_Claimed, x.ParsedArticle]] = []
        with self.sessions() as session:
            for job in claimed:
                try:
                    job.document = decode_document(job.stored)
                    parsed.append(
                        (job, parse_checked(job.document, budget_seconds=self.budget_seconds))
                    )
                except Exception as exc:
                    self.settle(job, _settle_failure(session, job, exc))
            fresh: list[tuple[_Claimed, x.ParsedArticle]] = []
            for job, article in parsed:
                try:
                    existing = find_duplicate(session, article)
                    if existing is not None:
                        self._done(session, job, IngestResult(existing, created=False))
                        continue
                except Exception as exc:
                    self.settle(job, _settle_failure(session, job, exc))
                    continue
                digest = content_hash(article)
                with self.lock:
                    waiting = self.copies.get(digest)
                    if waiting is None:
                        self.copies[digest] = []
                    else:
                        waiting.append(job)
                if waiting is None:
                    fresh.append((job, article))
            end_transaction(session)
        return fresh

    def _claim(self, batch: list[int]) -> list[_Claimed]:
        """Claim the batch's jobs in one transaction (rows locked in id order)."""
        with self.lock:
            wanted = sorted(set(batch) - set(self.in_hand))
        if not wanted:
            return []
        try:
            with self.sessions() as session, committing(session):
                query = select(Job).where(Job.id.in_(wanted)).order_by(Job.id).with_for_update()
                rows = session.scalars(query).all()
                claimed = [c for row in rows if (c := _claim(row, self.max_attempts)) is not None]
        except Exception as exc:  # the database is down, say: every message comes again
            logger.warning("claiming %s jobs failed: %s", len(wanted), exc)
            for job_id in wanted:
                self.on_settled(job_id, exc)
            return []
        with self.lock:
            self.in_hand.update((job.job_id, job) for job in claimed)
        for job_id in set(wanted) - {job.job_id for job in claimed}:
            self.on_settled(job_id, None)  # done, failed, gone: nothing to run
        return claimed

    def write(
        self, fresh: list[tuple[_Claimed, x.ParsedArticle]], extracted: list[x.ExtractedArticle]
    ) -> None:
        with self.sessions() as session:
            if self.deferred is not None:
                answers.defer_new(session, self.deferred)
            for (job, _), result in zip(fresh, extracted, strict=True):
                assert job.document is not None  # decoded by ``prepare``
                with self.lock:
                    copies = self.copies.pop(result.content_hash, [])
                try:
                    outcome = store(session, job.document, result, then=_finisher(job.job_id))
                except Exception as exc:
                    for one in (job, *copies):
                        self.settle(one, _settle_failure(session, one, exc))
                else:
                    self.settle(job, None)
                    for copy in copies:
                        self._done(session, copy, IngestResult(outcome.article, created=False))
                session.expunge_all()  # each article is its own unit: keep the identity map empty

    def _done(self, session: Session, job: _Claimed, result: IngestResult) -> None:
        """A duplicate: the job records the stored article in a transaction of its own."""
        try:
            with committing(session):
                _finisher(job.job_id)(session, result)
        except Exception as exc:
            self.settle(job, _settle_failure(session, job, exc))
        else:
            self.settle(job, None)


def _record_failure(session: Session, job_id: int, exc: BaseException, *, final: bool) -> None:
    """Final: the job fails with a problem document; else it waits for its next delivery."""
    session.rollback()
    values: dict[str, Any] = {"problem": _problem(exc)}
    values |= {"state": "failed", "finished_at": utcnow()} if final else {"state": "queued"}
    try:
        with committing(session):
            session.execute(
                update(Job).where(Job.id == job_id, Job.state == "running").values(**values)
            )
    except Exception as error:  # the database is down: the job stays running, redelivered
        if not health.lost_connection(error):
            raise
        logger.warning("job %s: its failure could not be recorded", job_id)
    logger.warning("job %s %s: %s", job_id, "failed" if final else "will be retried", exc)


def _problem(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, NewsKBError):
        return {
            "type": PROBLEM_BASE + exc.type,
            "title": exc.title,
            "status": exc.status,
            "detail": exc.detail,
        }
    if health.lost_connection(exc):
        return {
            "type": PROBLEM_BASE + "database-unavailable",
            "title": "Database unavailable",
            "status": 503,
            "detail": "The database could not be reached while storing the document.",
        }
    return {
        "type": PROBLEM_BASE + "ingest-failed",
        "title": "The document could not be ingested",
        "status": 500,
        "detail": f"{exc.__class__.__name__}: {exc}"[:1000],
    }


def _reload(session: Session, ids: Sequence[int]) -> list[Job]:
    session.expire_all()
    found = {job.id: job for job in session.scalars(select(Job).where(Job.id.in_(ids)))}
    return [found[i] for i in ids]

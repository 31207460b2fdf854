"""``newskb worker``, and ``newskb ingest --queue``: hand files to the queue, follow them."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli import output
from app.cli.common import DatabaseUrlOption, load_settings, open_database
from app.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from app.db.models import Job
    from app.kb.intake import Document
    from app.kb.jobs import JobQueue

# Jobs per submission (one transaction and one burst of publishes each).
SUBMIT_CHUNK = 100
POLL_SECONDS = 1.0


def worker(
    processes: Annotated[
        int, typer.Option("--processes", "-p", min=1, metavar="N", help="Worker processes.")
    ] = 1,
    batch: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="N",
            help="Jobs per NLP batch in each process (default NEWSKB_WORKER_BATCH).",
        ),
    ] = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Run ingest jobs from the queue (RabbitMQ, `NEWSKB_QUEUE_URL`) until SIGTERM or Ctrl-C.

    Start as many as there are cores to spare, on as many machines as share the database and
    the broker (NEWSKB_QUEUE_URL, e.g. amqp://guest:guest@127.0.0.1:5672/%2F); a job killed
    with its worker is delivered again, and stored once.

    Example: `newskb worker --processes 2`
    """
    settings = queued_settings(database_url)
    if batch is not None:
        settings = settings.model_copy(update={"worker_batch": batch})
    with open_database(settings):  # fails with one line when the database is not ready
        pass
    from app.queue.worker import run_worker

    output.stderr().print(f"Worker: {processes} process(es), loading the spaCy model…")
    run_worker(settings, processes=processes)


def prune_jobs(
    older_than: Annotated[
        float | None,
        typer.Option(
            "--older-than",
            min=0,
            metavar="DAYS",
            help="Delete jobs finished more than DAYS ago (default NEWSKB_JOB_RETENTION_DAYS).",
        ),
    ] = None,
    failed: Annotated[
        bool, typer.Option("--failed", help="Failed jobs (dead letters) too.")
    ] = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Delete finished ingest jobs older than the retention (workers also do it as they run).

    Done jobs (new articles, versions, duplicates) go; failed ones stay until retried, or
    until this runs with `--failed`. The articles are never touched.

    Example: `newskb prune-jobs --older-than 30 --failed`
    """
    from datetime import timedelta

    from app.kb import jobs as kb_jobs

    settings = load_settings(database_url)
    days = settings.job_retention_days if older_than is None else older_than
    with open_database(settings) as sessions, sessions() as session:
        deleted = kb_jobs.prune_jobs(session, older_than=timedelta(days=days), failed=failed)
    kinds = "done or failed" if failed else "done"
    output.stdout().print(
        f"Deleted {deleted} {kinds} job(s) finished more than {days:g} day(s) ago."
    )


def queued_settings(database_url: str | None) -> Settings:
    settings = load_settings(database_url)
    if not settings.queue_url:
        output.fail("NEWSKB_QUEUE_URL is not set: there is no queue (set it to an amqp:// URL).")
    return settings


def ingest_queued(
    settings: Settings,
    documents: Iterable[Document],
    *,
    follow: bool,
    tally: output.Tally,
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Submit every document as a job; with ``follow``, wait for all and count outcomes."""
    from app.queue.broker import RabbitQueue

    queue = RabbitQueue(settings)
    submitted: list[int] = []
    try:
        with open_database(settings) as sessions:
            for chunk in _chunks(iter(documents), SUBMIT_CHUNK):
                with sessions() as session:
                    jobs = _submit(session, chunk, queue, settings)
                submitted.extend(job.id for job in jobs)
                if not follow:
                    for job in jobs:
                        tally.done(job.name, "queued")
            if not follow:
                return {"queued": len(submitted)}, []
            return _follow(sessions, submitted, tally)
    finally:
        queue.close()


def _submit(
    session: Session, chunk: list[Document], queue: JobQueue, settings: Settings
) -> list[Job]:
    from app.errors import QueueFull
    from app.kb import jobs as kb_jobs

    while True:
        try:
            return kb_jobs.submit_documents(
                session, chunk, queue=queue, max_depth=settings.queue_max_depth
            )
        except QueueFull as exc:  # back-pressure: wait as the API would ask a client to
            time.sleep(exc.retry_after or 10)


def _follow(
    sessions: sessionmaker[Session], ids: list[int], tally: output.Tally
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    from app.kb import jobs as kb_jobs

    counts = {"created": 0, "duplicate": 0, "failed": 0}
    failures: list[tuple[str, str]] = []
    waiting = list(ids)
    while waiting:
        with sessions() as session:
            finished = kb_jobs.finished_jobs(session, waiting)
        for job in finished:
            outcome = "failed" if job.state == "failed" else "created"
            outcome = "duplicate" if job.duplicate else outcome
            counts[outcome] += 1
            if job.problem:
                failures.append((job.name, str(job.problem.get("detail", ""))))
            tally.done(job.name, outcome)
        done = {job.id for job in finished}
        waiting = [i for i in waiting if i not in done]
        if waiting:
            time.sleep(POLL_SECONDS)
    return counts, failures


def _chunks(items: Iterator[Document], size: int) -> Iterator[list[Document]]:
    while chunk := list(islice(items, size)):
        yield chunk

"""Ingest through the queue (RabbitMQ, real ``newskb worker`` processes) against bare spaCy.

    python -m benchmarks.queue [--limit N] [--workers 1,2] [--worker-batch 16] [--queue-url amqp://...]

Reads the BBC corpus into a fresh PostgreSQL database's job table, then for each worker count:
(1) bare ``nlp.pipe`` with as many processes over the same texts, (2) the same documents as
jobs (submitted beforehand, timed apart: the enqueue cost), run by that many ``newskb worker``
processes; the throughput is taken from the jobs' own ``started_at``/``finished_at`` (model
loading excluded). ``--worker-batch 1,16`` runs the workers once per batch size
(``NEWSKB_WORKER_BATCH``; 1 is one job at a time, as workers ran before batching). Then, in
this process: extraction alone (one ``nlp.pipe`` stream) and the store transaction alone
(``ingest_article`` on pre-extracted articles, deferring new answers as a worker does) per
article, then the storing of the deferred answers, which a worker does when idle. A batched
worker stores while it extracts, so what its time per article holds beyond extraction is the
part of the store that did not overlap, the claims and the messages. The answers a worker
deferred are stored after its last job: the seconds until none is missing are shown too, with
the CPU the workers and PostgreSQL spend on them (part of what an article costs the database).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pika
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.extract.nlp import DEFAULT_MODELS
from app.kb import answers
from app.kb import jobs as kb_jobs
from app.kb.ingest import extract_many, ingest_article, load_model
from app.kb.intake import Document, parse
from app.queue.broker import RabbitQueue
from app.settings import Settings
from benchmarks.databases import fresh_database
from benchmarks.ingest import DEFAULT_CORPUS, bare_spacy, load_documents
from benchmarks.startup import cpu_seconds, tree_cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_QUEUE = "amqp://guest:guest@127.0.0.1:5672/%2F"


def submit(url: str, queue_url: str, queue_name: str, documents: list[Document]) -> float:
    """Seconds to submit every document as a job (row + confirmed publish), 100 at a time."""
    settings = Settings(database_url=url, queue_url=queue_url, queue_name=queue_name)
    queue = RabbitQueue(settings)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    started = time.perf_counter()
    for start in range(0, len(documents), 100):
        with sessions() as session:
            kb_jobs.submit_documents(
                session, documents[start : start + 100], queue=queue, max_depth=0
            )
    elapsed = time.perf_counter() - started
    queue.close()
    engine.dispose()
    return elapsed


@dataclass(frozen=True)
class WorkerRun:
    seconds: float  # from the first job started to the last finished
    worker_cpu: float  # CPU of the worker processes over that time (model loading excluded)
    extraction_cpu: float  # of which their extraction processes (children)
    database_cpu: float  # CPU of every PostgreSQL server process over that time
    answers_seconds: float  # from the last job finished to every deferred answer stored
    answers_worker_cpu: float  # CPU of the worker processes over those seconds
    answers_database_cpu: float  # and of PostgreSQL


def postgres_cpu() -> dict[int, float]:
    """CPU spent so far by each process named ``postgres`` (the server on this machine)."""
    found: dict[int, float] = {}
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "postgres":
                found[int(comm.parent.name)] = cpu_seconds(int(comm.parent.name))
        except (OSError, ValueError):  # ended while read
            continue
    return found


def cpu_since(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU spent between two readings by the processes alive at the second one (a backend
    that ended in between took its CPU with it: it is left out, not subtracted)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def run_workers(
    url: str, queue_url: str, queue_name: str, count: int, total: int, batch: int
) -> WorkerRun:
    """Time and CPU from the first job started to the last finished, with ``count`` workers.

    CPU is read every 0.1 s: from the first poll that sees a job started to the one that
    sees the last finished. Unlike wall time, CPU per article hardly moves when other work
    shares the machine, so it is the figure to compare on a busy one.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSKB_DATABASE_URL": url}
    env |= {"NEWSKB_QUEUE_URL": queue_url, "NEWSKB_QUEUE_NAME": queue_name}
    env |= {"NEWSKB_WORKER_BATCH": str(batch)}
    command = [sys.executable, "-c", "from app.cli import main; main()", "worker"]
    workers = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(count)
    ]
    engine = create_engine(url)
    cpu_at_start: tuple[float, float, dict[int, float]] | None = None
    try:
        while True:
            with engine.connect() as connection:
                started, done = connection.execute(
                    text(
                        "SELECT count(*) FILTER (WHERE state <> 'queued'),"
                        " count(*) FILTER (WHERE state IN ('done', 'failed')) FROM ingest_jobs"
                    )
                ).one()
            if started and cpu_at_start is None:
                cpu_at_start = (*workers_cpu(workers), postgres_cpu())
            if done >= total:
                cpu_at_end = (*workers_cpu(workers), postgres_cpu())
                ended = time.perf_counter()
                break
            time.sleep(0.1)
        deadline = time.perf_counter() + 300
        while missing_answers(engine):  # the idle workers store what they deferred
            if time.perf_counter() > deadline:
                raise RuntimeError("the workers did not store their deferred answers in 300 s")
            time.sleep(0.1)
        answers_seconds = time.perf_counter() - ended
        cpu_after_answers = (*workers_cpu(workers), postgres_cpu())
        with engine.connect() as connection:
            first, last = connection.execute(
                text("SELECT min(started_at), max(finished_at) FROM ingest_jobs")
            ).one()
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
        engine.dispose()
    assert cpu_at_start is not None
    return WorkerRun(
        seconds=float((last - first).total_seconds()),
        worker_cpu=cpu_at_end[0] - cpu_at_start[0],
        extraction_cpu=cpu_at_end[1] - cpu_at_start[1],
        database_cpu=cpu_since(cpu_at_start[2], cpu_at_end[2]),
        answers_seconds=answers_seconds,
        answers_worker_cpu=cpu_after_answers[0] - cpu_at_end[0],
        answers_database_cpu=cpu_since(cpu_at_end[2], cpu_after_answers[2]),
    )


def missing_answers(engine: Engine) -> int:
    """Articles, entities and events without a stored answer."""
    with Session(engine) as session:
        return sum(map(len, answers.stale_by_kind(session).values()))


def workers_cpu(workers: list[subprocess.Popen[bytes]]) -> tuple[float, float]:
    """CPU so far of the worker processes with their children, and of their children alone."""
    whole = [tree_cpu_seconds(w.pid) for w in workers]
    own = [cpu_seconds(w.pid) for w in workers]
    return sum(whole), sum(whole) - sum(own)


def delete_queue(queue_url: str, name: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(queue_url))
    channel = connection.channel()
    for queue in (name, f"{name}.DQ", f"{name}.XQ"):
        channel.queue_delete(queue)
    connection.close()


def queued(
    documents: list[Document], *, workers: int, queue_url: str, batch: int
) -> tuple[float, WorkerRun, int]:
    """(enqueue seconds, the workers' run, articles created) on a fresh database and queue."""
    name = f"newskb-bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder, fresh_database("postgresql", Path(folder)) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        try:
            enqueue = submit(url, queue_url, name, documents)
            run = run_workers(url, queue_url, name, workers, len(documents), batch)
        finally:
            delete_queue(queue_url, name)
        created = int(
            _scalar(url, "SELECT count(*) FROM ingest_jobs WHERE state = 'done' AND NOT duplicate")
        )
    return enqueue, run, created


def store_alone(documents: list[Document]) -> tuple[float, float, float, int]:
    """(extraction seconds, store seconds, deferred answers seconds, articles) in this
    process, one article at a time, the answers deferred as a worker defers them."""
    parsed = [parse(d) for d in documents]
    load_model(DEFAULT_MODELS)  # seconds, which the workers' figures leave out too
    started = time.perf_counter()
    extracted = extract_many(parsed, model_names=DEFAULT_MODELS)
    extraction = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder, fresh_database("postgresql", Path(folder)) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        sessions = make_sessionmaker(engine)
        created = 0
        deferred = answers.Deferred()
        started = time.perf_counter()
        with sessions() as session:
            answers.defer_new(session, deferred)
            for document, article in zip(documents, extracted, strict=True):
                created += ingest_article(session, article, raw_text=document.raw).created
                session.expunge_all()
        store = time.perf_counter() - started
        started = time.perf_counter()
        with sessions() as session:
            answers.store_deferred(session, deferred)
        later = time.perf_counter() - started
        engine.dispose()
    return extraction, store, later, created


def _scalar(url: str, sql: str) -> Any:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="first N BBC articles")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--queue-url", default=DEFAULT_QUEUE)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--worker-batch", default="16", help="NEWSKB_WORKER_BATCH values: 1,16")
    args = parser.parse_args(argv)
    documents = load_documents(args.corpus, args.limit)
    n = len(documents)
    words = sum(len((d.text or "").split()) for d in documents)
    print(f"{n} BBC articles, {words} words; PostgreSQL, RabbitMQ at {args.queue_url}")
    print(
        f"{'run':<30}{'proc':>5}{'seconds':>9}{'art/s':>8}{'ratio':>7}"
        f"{'CPU ms/art':>12}{'+ DB':>7}{'CPU ratio':>11}"
    )
    queue_seconds: dict[tuple[int, int], float] = {}
    batches = [int(b) for b in args.worker_batch.split(",")]
    for count in (int(c) for c in args.workers.split(",")):
        bare = bare_spacy(documents, processes=count, batch_size=args.batch_size)
        bare_cpu = bare.cpu / n * 1000
        print(
            f"{'bare nlp.pipe':<30}{count:>5}{bare.seconds:>9.1f}{n / bare.seconds:>8.1f}"
            f"{1.0:>7.2f}{bare_cpu:>12.1f}{'':>7}{1.0:>11.2f}"
        )
        for batch in batches:
            enqueue, run, created = queued(
                documents, workers=count, queue_url=args.queue_url, batch=batch
            )
            worker_cpu, database_cpu = run.worker_cpu / n * 1000, run.database_cpu / n * 1000
            print(
                f"{f'queue → workers, batch {batch}':<30}{count:>5}{run.seconds:>9.1f}"
                f"{created / run.seconds:>8.1f}{bare.seconds / run.seconds:>7.2f}"
                f"{worker_cpu:>12.1f}{database_cpu:>7.1f}"
                f"{bare_cpu / (worker_cpu + database_cpu):>11.2f}"
                f"   (enqueue {enqueue / n * 1000:.1f} ms/article;"
                f" answers stored {run.answers_seconds:.1f} s after)"
            )
            print(
                f"{'':<30}of which the extraction processes {run.extraction_cpu / n * 1000:.1f}"
                f" ms/art, the workers {(run.worker_cpu - run.extraction_cpu) / n * 1000:.1f}"
            )
            print(
                f"{'':<30}then the deferred answers: workers"
                f" {run.answers_worker_cpu / n * 1000:.1f} ms/art,"
                f" PostgreSQL {run.answers_database_cpu / n * 1000:.1f}"
            )
            queue_seconds[count, batch] = run.seconds
    extraction, store, later, created = store_alone(documents)
    per = {
        "extraction": extraction / n,
        "store (DB transaction)": store / created,
        "deferred answers (idle)": later / created,
    }
    for what, seconds in per.items():
        print(f"{what + ' per article':<36}{seconds * 1000:>8.1f} ms")
    for batch in batches:
        if (1, batch) in queue_seconds:
            worker = queue_seconds[1, batch] / n
            print(
                f"{f'1 worker, batch {batch}, per article':<36}{worker * 1000:>8.1f} ms: "
                f"{(worker - per['extraction']) * 1000:.1f} beyond extraction "
                "(what the store does not overlap, hand-overs, claims, messages)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

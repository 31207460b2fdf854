"""Running jobs in batches (``app.kb.jobs.run_jobs``, what a worker does) and pruning old ones.

In one database transaction rolled back afterwards (both backends); the worker processes on a
real broker are tested in tests/reliability/test_queue.py.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.base import utcnow
from app.db.models import Article, Job
from app.errors import ExtractionTooSlow
from app.kb import bulk
from app.kb import jobs as kb_jobs
from app.kb.ingest import extract_many
from app.kb.intake import Document, ingest_document, parse
from app.settings import Settings

STORM = "Storm hits coast\n\nA storm hit Portugal on Monday and cut power in Lisbon."
VOTE = "Council votes\n\nThe city council of Oslo voted on Tuesday to raise the budget."
STORM_LATER = (
    "Storm hits coast\n\nA storm hit Portugal on Monday and cut power in Lisbon and Porto; "
    "the coast guard closed three harbours."
)
EMPTY_PAGE = "<html><body><script>x()</script></body></html>"


@pytest.fixture
def sessions(session: Session) -> sessionmaker[Session]:
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def add_jobs(session: Session, *documents: Document | dict[str, Any]) -> list[int]:
    jobs = [
        Job(
            state="queued",
            name=d.name if isinstance(d, Document) else "raw",
            document=kb_jobs.encode_document(d) if isinstance(d, Document) else d,
        )
        for d in documents
    ]
    session.add_all(jobs)
    session.flush()
    return [job.id for job in jobs]


def run(
    sessions: sessionmaker[Session], settings: Settings, ids: list[int], max_attempts: int = 3
) -> dict[int, BaseException | None]:
    return kb_jobs.run_jobs(
        sessions,
        ids,
        model_names=settings.spacy_model,
        budget_seconds=settings.extraction_budget_seconds,
        max_attempts=max_attempts,
    )


def jobs_by_id(session: Session, ids: list[int]) -> list[Job]:
    session.expire_all()
    found = {job.id: job for job in session.scalars(select(Job).where(Job.id.in_(ids)))}
    return [found[i] for i in ids]


def test_a_batch_settles_each_job_as_one_at_a_time_would(
    session: Session, sessions: sessionmaker[Session], settings: Settings
) -> None:
    ids = add_jobs(
        session,
        Document("storm", text=STORM),
        Document("vote", text=VOTE),
        Document("copy", text=STORM),  # a copy in the same batch
        Document("empty", html=EMPTY_PAGE),  # refused: fails at once
        {"text": "x", "published_at": "not a date"},  # poison: retried
    )
    results = run(sessions, settings, ids)
    storm, vote, copy, empty, poison = jobs_by_id(session, ids)
    assert [results[i] is None for i in ids] == [True, True, True, True, False]
    assert "not a date" in str(results[poison.id])
    assert (storm.state, storm.duplicate, storm.version) == ("done", False, None)
    assert (vote.state, vote.duplicate) == ("done", False)
    assert (copy.state, copy.duplicate, copy.article_id) == ("done", True, storm.article_id)
    assert empty.state == "failed" and empty.problem is not None
    assert empty.problem["type"].endswith("/empty-article") and empty.attempts == 1
    assert poison.state == "queued" and poison.attempts == 1  # waits for its next delivery
    assert poison.problem is not None and poison.problem["status"] == 500
    assert session.scalar(select(func.count()).select_from(Article)) == 2


def test_a_job_delivered_again_is_not_run_again(
    session: Session, sessions: sessionmaker[Session], settings: Settings
) -> None:
    ids = add_jobs(session, Document("storm", text=STORM))
    results = run(sessions, settings, ids + ids)  # twice in one batch
    assert results == {ids[0]: None}
    again = run(sessions, settings, ids)  # and once more, after it is done
    assert again == {ids[0]: None}
    (job,) = jobs_by_id(session, ids)
    assert job.state == "done" and job.attempts == 1
    assert session.scalar(select(func.count()).select_from(Article)) == 1


def test_the_last_attempt_fails_the_job_for_good(
    session: Session, sessions: sessionmaker[Session], settings: Settings
) -> None:
    ids = add_jobs(session, {"text": "x", "published_at": "not a date"})
    assert run(sessions, settings, ids, max_attempts=2)[ids[0]] is not None
    assert run(sessions, settings, ids, max_attempts=2)[ids[0]] is None  # final: acknowledged
    (job,) = jobs_by_id(session, ids)
    assert job.state == "failed" and job.attempts == 2


def test_a_new_text_at_a_stored_url_is_done_as_a_version(
    session: Session, sessions: sessionmaker[Session], settings: Settings
) -> None:
    url = "https://news.example/storm"
    first = ingest_document(
        session, Document(text=STORM, url=url), model_names=settings.spacy_model
    )
    ids = add_jobs(session, Document("later", text=STORM_LATER, url=url))
    assert run(sessions, settings, ids) == {ids[0]: None}
    (job,) = jobs_by_id(session, ids)
    assert job.state == "done" and job.duplicate is False
    assert job.article_id == first.article.id and job.version == 2
    article = session.get(Article, first.article.id)
    assert article is not None and "Porto" in article.body
    again = add_jobs(session, Document("again", text=STORM_LATER, url=url))
    run(sessions, settings, again)
    (repeat,) = jobs_by_id(session, again)  # the same text again: a duplicate now
    assert repeat.duplicate is True and repeat.version is None


def test_when_the_batch_extraction_fails_each_job_runs_alone(
    session: Session,
    sessions: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Iterator[Any]:
        raise RuntimeError("the model crashed on the batch")
        yield  # a generator, as iter_extract is

    monkeypatch.setattr(bulk, "iter_extract", broken)
    ids = add_jobs(session, Document("storm", text=STORM), Document("vote", text=VOTE))
    assert run(sessions, settings, ids) == {ids[0]: None, ids[1]: None}
    assert [job.state for job in jobs_by_id(session, ids)] == ["done", "done"]
    assert [job.attempts for job in jobs_by_id(session, ids)] == [1, 1]  # one claim each


def finished_job(session: Session, state: str, days_ago: float) -> int:
    job = Job(
        state=state,
        name=f"{state}-{days_ago}",
        document={"text": "x"},
        attempts=1,
        finished_at=utcnow() - timedelta(days=days_ago),
    )
    session.add(job)
    session.flush()
    return job.id


def test_pruning_deletes_old_done_jobs_and_keeps_failed_ones(session: Session) -> None:
    old_done = [finished_job(session, "done", 10) for _ in range(3)]
    recent = finished_job(session, "done", 1)
    old_failed = finished_job(session, "failed", 10)
    waiting = Job(state="queued", name="waiting", document={"text": "x"})
    session.add(waiting)
    session.flush()
    week = timedelta(days=7)
    assert kb_jobs.prune_jobs(session, older_than=week, limit=2) == 2  # bounded
    assert kb_jobs.prune_jobs(session, older_than=week) == 1
    left = set(session.scalars(select(Job.id)))
    assert left.isdisjoint(old_done)
    assert {recent, old_failed, waiting.id} <= left
    assert kb_jobs.prune_jobs(session, older_than=week, failed=True) == 1
    assert old_failed not in set(session.scalars(select(Job.id)))
    assert kb_jobs.prune_jobs(session, older_than=timedelta(0)) == 1  # the recent one


@pytest.fixture(scope="module")
def extraction() -> Iterator[bulk.ExtractionProcess]:
    """A worker's extraction process (forked from this one, the model loaded)."""
    process = bulk.ExtractionProcess(Settings().spacy_model)
    yield process
    process.close()


@pytest.mark.parametrize("where", ["in this process", "in an extraction process"])
def test_a_stream_of_batches_settles_each_job_once(
    session: Session,
    sessions: sessionmaker[Session],
    settings: Settings,
    where: str,
    request: pytest.FixtureRequest,
) -> None:
    stories = [STORM, VOTE, STORM, STORM_LATER, VOTE]
    ids = add_jobs(session, *(Document(f"job{i}", text=t) for i, t in enumerate(stories)))
    settled: list[tuple[int, BaseException | None]] = []
    kb_jobs.run_job_batches(
        sessions,
        [ids[:2], ids[2:4], [ids[4], ids[0]]],  # the last one delivers job 0 again
        on_settled=lambda job_id, error: settled.append((job_id, error)),
        model_names=settings.spacy_model,
        budget_seconds=settings.extraction_budget_seconds,
        max_attempts=3,
        extraction=request.getfixturevalue("extraction") if "extraction" in where else None,
    )
    assert sorted(job_id for job_id, _ in settled) == sorted([*ids, ids[0]])
    assert all(error is None for _, error in settled)
    jobs = jobs_by_id(session, ids)
    assert [job.state for job in jobs] == ["done"] * 5
    assert [job.duplicate for job in jobs] == [False, False, True, False, True]
    assert [job.attempts for job in jobs] == [1] * 5
    assert session.scalar(select(func.count()).select_from(Article)) == 3


def test_an_extraction_process_extracts_what_this_process_does(
    extraction: bulk.ExtractionProcess, settings: Settings
) -> None:
    articles = [parse(Document(text=t)) for t in (STORM, VOTE, STORM_LATER)]
    here = extract_many(articles, model_names=settings.spacy_model, batch_size=16)
    there = extraction.submit(articles).result()
    assert there == here
    assert all(result.entities for result in there)


def test_an_extraction_past_its_budget_fails_with_its_own_error(settings: Settings) -> None:
    hasty = bulk.ExtractionProcess(settings.spacy_model, budget_seconds=0.001)
    long_story = "\n\n".join([STORM_LATER] * 40)  # a few hundred ms: the watchdog wakes in it
    try:
        with pytest.raises(ExtractionTooSlow, match="Extraction took longer"):
            hasty.submit([parse(Document(text=long_story))]).result()
    finally:
        hasty.close()


def test_a_killed_extraction_process_loses_no_job_and_is_replaced(
    session: Session, sessions: sessionmaker[Session], settings: Settings
) -> None:
    doomed = bulk.ExtractionProcess(settings.spacy_model)
    try:
        (pid,) = doomed.pool._processes  # type: ignore[attr-defined]
        os.kill(pid, signal.SIGKILL)  # as the OOM killer would, between two batches
        ids = add_jobs(session, *(Document(f"job{i}", text=t) for i, t in enumerate([STORM, VOTE])))
        settled: dict[int, BaseException | None] = {}
        kb_jobs.run_job_batches(
            sessions,
            [ids[:1], ids[1:]],
            on_settled=settled.__setitem__,
            model_names=settings.spacy_model,
            budget_seconds=settings.extraction_budget_seconds,
            max_attempts=3,
            extraction=doomed,
        )
        assert settled == {ids[0]: None, ids[1]: None}
        assert [job.state for job in jobs_by_id(session, ids)] == ["done", "done"]
        assert [job.attempts for job in jobs_by_id(session, ids)] == [1, 1]
        (replacement,) = doomed.pool._processes  # type: ignore[attr-defined]
        assert replacement != pid
    finally:
        doomed.close()


def test_an_extracted_article_survives_pickling_whole(settings: Settings) -> None:
    (extracted,) = extract_many(
        [parse(Document(text=STORM_LATER, url="https://news.example/s", source="Example"))],
        model_names=settings.spacy_model,
    )
    again = pickle.loads(pickle.dumps(extracted, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == extracted
    assert again.parsed.url == "https://news.example/s" and again.entities[0].mentions
    assert type(again.entities[0].mentions[0].span) is type(extracted.entities[0].mentions[0].span)

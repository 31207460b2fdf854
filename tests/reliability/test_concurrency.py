"""Concurrent ingests on a real database: one row per article and per entity, no 500, no lock.

Threads with their own sessions hit a fresh, migrated database of the configured backend
(SQLite file or a temporary PostgreSQL database), as parallel requests of a server would.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.db.models import Article, Entity, Event, EventEvidence, EventItem, Mention, Timex
from app.extract import types as x
from app.extract.pipeline import content_hash
from app.kb import answers, curate, entity_stats, resolve
from app.kb.curate import EntityEdit
from app.kb.ingest import IngestResult, delete_article, ingest_article, replace_facts
from app.kb.sql.dialect import lock_names
from app.main import create_app
from app.settings import Settings
from tests.answers_truth import assert_answers_current
from tests.conftest import API_KEY
from tests.databases import temporary_database
from tests.entity_truth import assert_entity_stats_exact, stored_stats
from tests.factories import entity, meeting_article, span_of

T = TypeVar("T")
SAME_ARTICLE_CALLERS = 16
DISTINCT_ARTICLES = 200


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    with temporary_database(tmp_path, "concurrency") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture
def fresh_engine(fresh_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_url, pool_size=SAME_ARTICLE_CALLERS, max_overflow=4)
    yield engine
    engine.dispose()


def count(engine: Engine, model: type, *where: object) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def envoy_article(
    n: int, *, envoy: str | None = None, day: date | None = None
) -> x.ExtractedArticle:
    """Distinct articles that all name Vladimir Putin and Russia, and one envoy of their own.

    Given ``envoy`` and ``day``, every such article reports the same meeting.
    """
    envoy = envoy or f"Envoy Number{n}"
    body = f"Vladimir Putin met {envoy} in Russia on Thursday, report {n} said."
    parsed = x.ParsedArticle(
        body=body,
        title=f"Talks {n}",
        published_at=datetime(2021, 9, 12, tzinfo=UTC),
        source_name="Test Wire",
    )
    day = day or date(2021, 1, 1) + timedelta(days=n)
    sentence = body.split(",")[0]
    entities = (
        entity(body, "p", "person", "Vladimir Putin"),
        entity(body, "e", "person", envoy),
        entity(body, "r", "country", "Russia"),
    )
    return x.ExtractedArticle(
        parsed=parsed,
        content_hash=content_hash(parsed),
        extractor_version=meeting_article().extractor_version,
        # Odd articles list the shared entities in the other order: lock order must not matter.
        entities=entities if n % 2 == 0 else entities[::-1],
        timexes=(x.Timex("Thursday", span_of(body, "Thursday"), day.isoformat(), "day", day),),
        events=(
            x.Event(
                type="meeting",
                status="occurred",
                summary=f"Vladimir Putin meets {envoy}",
                evidence=(span_of(body, sentence),),
                evidence_text=(sentence,),
                participants=(x.Participant("p", "agent"), x.Participant("e", "counterpart")),
                location_key="r",
                date_start=day,
                date_end=day,
                date_precision="day",
            ),
        ),
    )


def run_together(callers: int, work: Callable[[], T]) -> list[T]:
    """Start ``callers`` threads at the same instant (a barrier) and return their results."""
    barrier = threading.Barrier(callers)

    def start() -> T:
        barrier.wait(timeout=30)
        return work()

    with ThreadPoolExecutor(max_workers=callers) as pool:
        return [f.result(timeout=120) for f in [pool.submit(start) for _ in range(callers)]]


def ingest_in_own_session(sessions: sessionmaker[Session], article: x.ExtractedArticle) -> int:
    with sessions() as session:
        result: IngestResult = ingest_article(session, article)
        return result.article.id


def test_same_article_ingested_by_16_callers_at_once_is_stored_once(
    fresh_engine: Engine,
) -> None:
    sessions = make_sessionmaker(fresh_engine)
    article = meeting_article(url="https://example.org/race")
    ids = run_together(SAME_ARTICLE_CALLERS, lambda: ingest_in_own_session(sessions, article))
    assert len(ids) == SAME_ARTICLE_CALLERS
    assert len(set(ids)) == 1
    assert count(fresh_engine, Article) == 1
    assert count(fresh_engine, Mention) == len(article.entities)
    assert count(fresh_engine, Timex) == 1
    with Session(fresh_engine) as session:
        assert_entity_stats_exact(session)


def test_200_distinct_articles_at_once_all_land_and_share_entities(
    fresh_engine: Engine,
) -> None:
    sessions = make_sessionmaker(fresh_engine)
    articles = [envoy_article(n) for n in range(DISTINCT_ARTICLES)]
    barrier = threading.Barrier(SAME_ARTICLE_CALLERS)

    def ingest(article: x.ExtractedArticle) -> int:
        if article.parsed.title in {f"Talks {n}" for n in range(SAME_ARTICLE_CALLERS)}:
            barrier.wait(timeout=30)  # the first wave starts together, Russia is new to all
        return ingest_in_own_session(sessions, article)

    with ThreadPoolExecutor(max_workers=SAME_ARTICLE_CALLERS) as pool:
        ids = list(pool.map(ingest, articles, timeout=300))
    assert len(set(ids)) == DISTINCT_ARTICLES
    assert count(fresh_engine, Article) == DISTINCT_ARTICLES
    assert count(fresh_engine, Entity, Entity.name == "Russia") == 1
    assert count(fresh_engine, Entity, Entity.name == "Vladimir Putin") == 1
    assert count(fresh_engine, Entity, Entity.type == "person") == DISTINCT_ARTICLES + 1
    assert count(fresh_engine, Mention) == 3 * DISTINCT_ARTICLES
    with Session(fresh_engine) as session:
        # Every ingest added to the same hot rows at once: none lost, none counted twice.
        assert_entity_stats_exact(session)
        russia = session.scalars(select(Entity.id).where(Entity.name == "Russia")).one()
        assert stored_stats(session)[russia][:2] == (DISTINCT_ARTICLES, DISTINCT_ARTICLES)


def test_one_meeting_reported_by_16_articles_at_once_is_one_event(
    fresh_engine: Engine,
) -> None:
    sessions = make_sessionmaker(fresh_engine)
    # The people and the place exist already (an earlier meeting): no insert makes the
    # 16 ingests wait for each other, so only the event lookup stands between them.
    earlier = envoy_article(99, envoy="Alexander Lukashenko", day=date(2020, 1, 1))
    ingest_in_own_session(sessions, earlier)
    reports = [
        envoy_article(n, envoy="Alexander Lukashenko", day=date(2021, 9, 9))
        for n in range(SAME_ARTICLE_CALLERS)
    ]
    feed = iter(reports)
    lock = threading.Lock()

    def next_report() -> int:
        with lock:
            article = next(feed)
        return ingest_in_own_session(sessions, article)

    ids = run_together(SAME_ARTICLE_CALLERS, next_report)
    assert len(set(ids)) == SAME_ARTICLE_CALLERS
    assert count(fresh_engine, Event) == 2  # the earlier meeting and this one
    assert count(fresh_engine, EventEvidence) == SAME_ARTICLE_CALLERS + 1
    with Session(fresh_engine) as session:
        assert_entity_stats_exact(session)
        assert_answers_current(session)


def test_reports_of_one_meeting_deleted_and_ingested_at_once_leave_answers_current(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every answer shows the meeting's evidence from every other report, so each write
    rebuilds the others: a rebuild that read facts before another write committed would
    store an answer that misses it (or shows a deleted report). Builds linger a little so
    that writes overlap."""
    build = answers.build

    def build_then_linger(*args: Any, **kwargs: Any) -> answers.Answer:
        answer = build(*args, **kwargs)
        time.sleep(0.005)
        return answer

    sessions = make_sessionmaker(fresh_engine)
    day = date(2021, 9, 9)
    old = [
        ingest_in_own_session(sessions, envoy_article(n, envoy="Alexander Lukashenko", day=day))
        for n in range(8)
    ]
    monkeypatch.setattr(answers, "build", build_then_linger)
    new = [envoy_article(n, envoy="Alexander Lukashenko", day=day) for n in range(100, 108)]
    jobs: list[Callable[[], object]] = [lambda a=a: ingest_in_own_session(sessions, a) for a in new]
    jobs += [lambda i=i: delete_in_own_session(sessions, i) for i in old]
    jobs = [job for pair in zip(jobs[:8], jobs[8:], strict=True) for job in pair]
    with ThreadPoolExecutor(max_workers=SAME_ARTICLE_CALLERS) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result(timeout=120)
    assert count(fresh_engine, Event) == 1
    with Session(fresh_engine) as session:
        stored = assert_answers_current(session)
    assert len(stored) == len(new)


def test_reextractions_and_edits_of_one_person_at_once_do_not_deadlock(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-extraction takes a person's row (resolution) and the lock on the person's stored
    answer; a curator's edit takes the row ``FOR UPDATE``, then that lock. Each must take
    them in the same order, or the two wait on each other (PostgreSQL aborts one). The steps
    between linger so that the writes overlap."""
    hold, mark = resolve._hold, answers.mark_entity_pages

    def hold_later(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.01)
        return hold(*args, **kwargs)

    def mark_later(*args: Any, **kwargs: Any) -> None:
        time.sleep(0.01)
        mark(*args, **kwargs)

    sessions = make_sessionmaker(fresh_engine)
    reports = [
        meeting_article(f"Vladimir Putin met Alexander Lukashenko in Russia on Thursday ({n}).")
        for n in range(6)
    ]
    ids = [ingest_in_own_session(sessions, report) for report in reports]
    with sessions() as session:
        putin = session.scalars(select(Entity.id).where(Entity.name == "Vladimir Putin")).one()
    monkeypatch.setattr(resolve, "_hold", hold_later)
    monkeypatch.setattr(answers, "mark_entity_pages", mark_later)

    def reextract(article_id: int, report: x.ExtractedArticle) -> None:
        with sessions() as session:
            replace_facts(session, article_id, report)

    def edit(n: int) -> None:
        with sessions() as session:
            curate.update_entity(session, putin, EntityEdit(description=f"Edit {n}"))

    jobs: list[Callable[[], object]] = []
    for n, (article_id, report) in enumerate(zip(ids, reports, strict=True)):
        jobs += [lambda a=article_id, r=report: reextract(a, r), lambda n=n: edit(n)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result(timeout=120)
    with Session(fresh_engine) as session:
        assert_answers_current(session)


def test_reextractions_dropping_events_and_renames_of_their_participant_do_not_deadlock(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-extraction deletes the events only its article reported before it resolves its
    entities; a rename of a participant locks the stored items naming it at its commit. An
    item's row taken early (a cascade from its event) made each wait on the other."""
    hold = resolve._hold

    def hold_later(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.02)  # between the deletion of the old facts and the resolution
        return hold(*args, **kwargs)

    sessions = make_sessionmaker(fresh_engine)
    body = "Vladimir Putin met Alexander Lukashenko in Russia on Thursday ({})."
    ids = [
        ingest_in_own_session(sessions, meeting_article(body.format(n), day=date(2021, 9, n)))
        for n in range(1, 7)
    ]
    with sessions() as session:
        lukashenko = session.scalars(
            select(Entity.id).where(Entity.name == "Alexander Lukashenko")
        ).one()
    monkeypatch.setattr(resolve, "_hold", hold_later)

    def reextract(n: int, article_id: int) -> None:  # its event moves: the old one goes
        with sessions() as session:
            replace_facts(
                session, article_id, meeting_article(body.format(n), day=date(2022, 9, n))
            )

    def rename(n: int) -> None:
        with sessions() as session:
            curate.update_entity(session, lukashenko, EntityEdit(name=f"A. Lukashenko {n}"))

    jobs: list[Callable[[], object]] = []
    for n, article_id in enumerate(ids, start=1):
        jobs += [lambda n=n, a=article_id: reextract(n, a), lambda n=n: rename(n)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result(timeout=120)
    with Session(fresh_engine) as session:
        assert_answers_current(session)


def test_newskb_answers_stores_around_a_write_holding_one_answer(
    fresh_engine: Engine,
) -> None:
    """A batch of ``store_all`` never waits for one answer's lock while holding the others
    (a write holding that one may be waiting for another of them): it stores the rest, then
    waits for that one alone."""
    if fresh_engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: nothing to wait for")
    sessions = make_sessionmaker(fresh_engine)
    body = "Vladimir Putin met Alexander Lukashenko in Russia on Thursday ({})."
    for n in range(1, 5):
        ingest_in_own_session(sessions, meeting_article(body.format(n), day=date(2021, 9, n)))
    with sessions() as session:
        event_ids = sorted(session.scalars(select(Event.id)))
        session.execute(delete(EventItem))
        session.commit()
    held = event_ids[1]
    writer = sessions()
    lock_names(writer, [f"answers:event:{held}"])  # a write's lock, held until its commit
    done = threading.Event()

    def store() -> None:
        with sessions() as session:
            list(answers.store_all(session, event_ids, kind=answers.EVENT))
        done.set()

    storing = threading.Thread(target=store)
    storing.start()
    deadline = time.monotonic() + 30
    while count(fresh_engine, EventItem) < len(event_ids) - 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    with Session(fresh_engine) as session:  # the rest are stored while one is held
        assert set(session.scalars(select(EventItem.event_id))) == set(event_ids) - {held}
    assert not done.is_set()
    writer.commit()
    writer.close()
    storing.join(timeout=30)
    assert done.is_set()
    with Session(fresh_engine) as session:
        assert_answers_current(session)


def test_same_url_with_different_text_at_once_is_stored_once(fresh_engine: Engine) -> None:
    sessions = make_sessionmaker(fresh_engine)
    versions = [
        replace(a, parsed=replace(a.parsed, url="https://example.org/one-url"))
        for a in (envoy_article(n) for n in range(8))
    ]
    versions = [replace(a, content_hash=content_hash(a.parsed)) for a in versions]
    feed = iter(versions)
    lock = threading.Lock()

    def next_version() -> int:
        with lock:
            article = next(feed)
        return ingest_in_own_session(sessions, article)

    ids = run_together(len(versions), next_version)
    assert len(set(ids)) == 1
    assert count(fresh_engine, Article) == 1


def test_16_concurrent_posts_of_one_article_over_http_answer_one_id_and_no_5xx(
    fresh_url: str,
) -> None:
    settings = Settings(database_url=fresh_url, api_keys=API_KEY, rate_limit_per_key="")
    text = "Harbour closed\n\nA storm closed the harbour of Gdansk in Poland on Monday night."
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        responses = run_together(
            SAME_ARTICLE_CALLERS, lambda: client.post("/v1/articles", json={"text": text})
        )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 200: SAME_ARTICLE_CALLERS - 1}, [r.text[:200] for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1


def test_deletes_racing_ingests_on_the_same_entities_keep_counts_exact(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deletes recount the hot rows (Russia, Putin) while ingests add to them.

    Each ingest holds its row locks a little before committing, so that recounts start while
    an increment is uncommitted: a recount that did not wait for the lock would miss it.
    """
    add_article = entity_stats.add_article

    def add_then_linger(*args: Any, **kwargs: Any) -> None:
        add_article(*args, **kwargs)
        time.sleep(0.05)

    monkeypatch.setattr(entity_stats, "add_article", add_then_linger)
    sessions = make_sessionmaker(fresh_engine)
    old = [ingest_in_own_session(sessions, envoy_article(n)) for n in range(20)]
    new = [envoy_article(n) for n in range(100, 140)]
    jobs: list[Callable[[], object]] = [lambda a=a: ingest_in_own_session(sessions, a) for a in new]
    jobs += [lambda i=i: delete_in_own_session(sessions, i) for i in old]
    jobs = [job for pair in zip(jobs[:20], jobs[40:], strict=True) for job in pair] + jobs[20:40]
    with ThreadPoolExecutor(max_workers=SAME_ARTICLE_CALLERS) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result(timeout=120)
    assert count(fresh_engine, Article) == len(new)
    with Session(fresh_engine) as session:
        assert_entity_stats_exact(session)
        russia = session.scalars(select(Entity.id).where(Entity.name == "Russia")).one()
        assert stored_stats(session)[russia][:2] == (len(new), len(new))


def delete_in_own_session(sessions: sessionmaker[Session], article_id: int) -> None:
    with sessions() as session:
        delete_article(session, article_id)

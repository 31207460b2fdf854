"""What an uncached page sends to the database, counted at the driver, through the real app.

On PostgreSQL every statement is a round trip, and a round trip costs the API more CPU than the
rows of a small read (docs/benchmarks.md, "Uncached pages"): the article, entity and event
pages are one statement each (a bundle: ``app.kb.sql.bundle``), and so are the items of a
list of events. A page runs outside a transaction (no ``BEGIN``, no ``ROLLBACK``); on
PostgreSQL it sets no statement budget of its own (connections open with the read budget) and
a connection used a moment ago is not pinged.
"""

import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from app.db.engine import Deadlines, make_engine
from app.db.models import Entity, Event, Role
from app.kb.answers import AnswerReader
from app.main import create_app
from app.settings import Settings
from benchmarks.point_reads import Trips, counting
from tests.answers_truth import count_loop_reads
from tests.databases import backend
from tests.query.conftest import Corpus

postgresql_only = pytest.mark.skipif(
    backend() != "postgresql", reason="pings and statement budgets are PostgreSQL round trips"
)


@pytest.fixture(scope="module")
def real_app(corpus: Corpus) -> Iterator[TestClient]:
    """The app with its own sessions (no test transaction): per-request work included."""
    settings = Settings(database_url=corpus.url, read_cache_size=0, rate_limit_anonymous="")
    with TestClient(create_app(settings)) as client:
        yield client


def _sent(client: TestClient, path: str) -> Trips:
    assert client.get(path).status_code == 200  # warm: the pool holds a connection
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    with counting(engine) as trips:
        assert client.get(path).status_code == 200
    return trips


@pytest.fixture
def loop_reads(real_app: TestClient) -> Iterator[list[str]]:
    """The statements of the stored-answer reads the event loop makes (``AnswerReader``)."""
    reads = real_app.app.state.answer_reader._reads  # type: ignore[attr-defined]
    sent: list[str] = []
    count_loop_reads(real_app.app.state.answer_reader, sent)  # type: ignore[attr-defined]
    try:
        yield sent
    finally:  # the instance's counting functions go: the class's methods again
        del reads.rows, reads.sqlite_rows


def test_an_uncached_article_page_is_one_stored_read(
    real_app: TestClient, corpus: Corpus, loop_reads: list[str]
) -> None:
    """Its stored answer, read in the event loop: nothing on the session's engine."""
    for article_id in [corpus.seed_id, *corpus.wikinews_ids]:
        trips = _sent(real_app, f"/v1/articles/{article_id}")
        assert trips.total == 0, (article_id, trips.texts)
    assert len(loop_reads) == 2 * (1 + len(corpus.wikinews_ids))  # _sent reads twice


def test_an_article_page_built_on_the_session_is_one_statement(
    real_app: TestClient, corpus: Corpus
) -> None:
    """Where the loop cannot read it (no current row, a failed read), the session reads the
    stored row or builds the page in the same one statement."""
    state = real_app.app.state  # type: ignore[attr-defined]
    loop_reader = state.answer_reader
    state.answer_reader = AnswerReader(state.engine, enabled=False)
    try:
        for article_id in [corpus.seed_id, *corpus.wikinews_ids]:
            trips = _sent(real_app, f"/v1/articles/{article_id}")
            assert trips.statements == 1, (article_id, trips.texts)
            # The statement alone: no ping, BEGIN, SET or ROLLBACK (SQLite: as its library ran
            # it).
            assert (trips.pings, trips.begins, trips.ends, trips.total) == (0, 0, 0, 1), trips
    finally:
        state.answer_reader = loop_reader


def test_an_uncached_event_page_is_one_statement(real_app: TestClient, corpus: Corpus) -> None:
    engine = make_engine(corpus.url)
    try:
        with engine.connect() as connection:
            event_ids = connection.scalars(select(Event.id).order_by(Event.id).limit(20)).all()
    finally:
        engine.dispose()
    assert event_ids
    for event_id in event_ids:
        trips = _sent(real_app, f"/v1/events/{event_id}")
        assert trips.statements == 1, (event_id, trips.texts)
        assert trips.total == 1, trips


def _entity_ids(corpus: Corpus) -> list[int]:
    engine = make_engine(corpus.url)
    try:
        with engine.connect() as connection:  # the busiest people first: they have roles
            entity_ids = connection.scalars(
                select(Role.person_id).group_by(Role.person_id).order_by(func.count().desc())
            ).all()[:10]
            entity_ids += connection.scalars(select(Entity.id).order_by(Entity.id).limit(10)).all()
    finally:
        engine.dispose()
    return list(entity_ids)


def test_an_uncached_entity_page_is_one_stored_read(
    real_app: TestClient, corpus: Corpus, loop_reads: list[str]
) -> None:
    """Its stored answer and its counts, read in the event loop: nothing on the engine."""
    entity_ids = _entity_ids(corpus)
    for entity_id in entity_ids:
        trips = _sent(real_app, f"/v1/entities/{entity_id}")
        assert trips.total == 0, (entity_id, trips.texts)
    assert len(loop_reads) == 2 * len(entity_ids)  # _sent reads twice


def test_an_entity_page_built_on_the_session_is_one_statement(
    real_app: TestClient, corpus: Corpus
) -> None:
    state = real_app.app.state  # type: ignore[attr-defined]
    loop_reader = state.answer_reader
    state.answer_reader = AnswerReader(state.engine, enabled=False)
    try:
        for entity_id in _entity_ids(corpus):
            trips = _sent(real_app, f"/v1/entities/{entity_id}")
            assert trips.statements == 1, (entity_id, trips.texts)
            assert trips.total == 1, trips
    finally:
        state.answer_reader = loop_reader


def test_an_uncached_list_of_all_events_is_one_stored_read(
    real_app: TestClient, loop_reads: list[str]
) -> None:
    """Its ids and stored items in one read in the event loop, on any page: nothing on the
    session's engine."""
    path = "/v1/events?limit=3"
    for _ in range(3):
        answer = real_app.get(path)
        assert answer.status_code == 200 and answer.json()["next_cursor"]
        trips = _sent(real_app, path)
        assert trips.total == 0, (path, trips.texts)
        path = "/v1/events?limit=3&cursor=" + answer.json()["next_cursor"]
    assert len(loop_reads) == 3 * 3  # _sent reads twice


def test_an_uncached_filtered_events_list_reads_its_items_in_one_statement(
    real_app: TestClient,
) -> None:
    """The page's ids, then its stored items in one statement (``app.kb.event_items``): two,
    whatever the page size; so is the list of all events when the loop cannot read it. On
    PostgreSQL, a list by summary words that have trigrams first asks the planner's estimate of
    their events (``app.kb.events.SUMMARY_INDEX_MAX``): one more."""
    state = real_app.app.state  # type: ignore[attr-defined]
    for path in ("/v1/events?limit=100&type=meeting", "/v1/events?q=e&limit=2"):
        trips = _sent(real_app, path)
        assert trips.statements == 2, (path, trips.texts)
    postgresql = state.engine.dialect.name == "postgresql"
    trips = _sent(real_app, "/v1/events?q=the&limit=100")
    assert trips.statements == (3 if postgresql else 2), trips.texts
    loop_reader = state.answer_reader
    state.answer_reader = AnswerReader(state.engine, enabled=False)
    try:
        for path in ("/v1/events?limit=100", "/v1/events?limit=3"):
            trips = _sent(real_app, path)
            assert trips.statements == 2, (path, trips.texts)
    finally:
        state.answer_reader = loop_reader


def test_a_missing_article_is_one_read(real_app: TestClient, loop_reads: list[str]) -> None:
    engine: Engine = real_app.app.state.engine  # type: ignore[attr-defined]
    with counting(engine) as trips:
        assert real_app.get("/v1/articles/2147483647").status_code == 404
    assert (trips.statements, len(loop_reads)) == (0, 1), trips.texts


@postgresql_only
def test_a_connection_idle_past_the_window_is_pinged(corpus: Corpus) -> None:
    """The checkout ping is skipped only for a connection used less than ``ping_idle_s`` ago."""
    for idle_s, pings in ((0.0, 2), (60.0, 0)):
        engine = make_engine(corpus.url, deadlines=Deadlines(ping_idle_s=idle_s))
        try:
            with engine.connect() as connection:  # a fresh connection: never pinged
                connection.execute(text("SELECT 2"))
            with counting(engine) as trips:
                for _ in range(2):
                    with engine.connect() as connection:
                        connection.execute(text("SELECT 2"))
            assert trips.pings == pings, (idle_s, trips)
        finally:
            engine.dispose()


@postgresql_only
def test_reads_run_with_the_read_budget_and_writes_with_the_statement_budget(
    corpus: Corpus,
) -> None:
    settings = Settings(
        database_url=corpus.url, db_read_timeout_ms=1_234, db_statement_timeout_ms=5_678
    )
    app = create_app(settings)
    try:
        for factory, expected in (
            (app.state.read_sessionmaker, "1234ms"),
            (app.state.sessionmaker, "5678ms"),
        ):
            for _ in range(2):  # the second transaction reuses the first's connection
                with factory() as session:
                    assert session.scalar(text("SHOW statement_timeout")) == expected
    finally:
        app.state.engine.dispose()
        app.state.health_engine.dispose()


@postgresql_only
def test_the_counter_leaves_out_the_apps_background_threads(corpus: Corpus) -> None:
    """psycopg is counted process-wide; a webhook poll on its own engine, in its own thread,
    ending its transaction while a page is counted, is not the page's round trip."""
    engine = make_engine(corpus.url)
    background = make_engine(corpus.url)

    def poll() -> None:
        with background.begin() as connection:
            connection.execute(text("SELECT 3"))

    try:
        for first in (engine, background):  # a new engine's first connection asks its server
            with first.connect() as connection:
                connection.execute(text("SELECT 1"))
        with counting(engine) as trips:
            poller = threading.Thread(target=poll, name="newskb-webhooks")
            poller.start()
            poller.join()
            with engine.connect() as connection:
                connection.execute(text("SELECT 2"))
        assert "SELECT 2" in trips.texts and "SELECT 3" not in trips.texts, trips
        assert trips.ends == 1, trips  # the main thread's rollback, not the poll's commit
    finally:
        engine.dispose()
        background.dispose()


def _walk(client: TestClient, path: str) -> list[tuple[bytes, str | None]]:
    """Every page of a list, following its Link headers: each page's bytes and Link."""
    pages = []
    url: str | None = path
    while url is not None:
        answer = client.get(url)
        assert answer.status_code == 200, answer.text
        link = answer.headers.get("link")
        pages.append((answer.content, link))
        url = link[1 : link.index(">")] if link else None
    return pages


def test_the_list_of_all_events_from_the_loop_is_the_sessions_byte_for_byte(
    real_app: TestClient, loop_reads: list[str]
) -> None:
    """Every page, cursors and Link headers included; a forged cursor is the session's 400."""
    state = real_app.app.state  # type: ignore[attr-defined]
    paths = ["/v1/events?limit=7", "/v1/events?limit=100", "/v1/events?limit=7&q="]
    looped = {path: _walk(real_app, path) for path in paths}  # an empty q filters nothing
    assert len(loop_reads) == sum(len(pages) for pages in looped.values())
    loop_reader = state.answer_reader
    state.answer_reader = AnswerReader(state.engine, enabled=False)
    try:
        for path, pages in looped.items():
            assert _walk(real_app, path) == pages, path
        forged = real_app.get("/v1/events", params={"cursor": "bm90IGEgY3Vyc29y"})
    finally:
        state.answer_reader = loop_reader
    assert real_app.get("/v1/events", params={"cursor": "bm90IGEgY3Vyc29y"}).content == (
        forged.content
    )
    assert forged.status_code == 400
    other_list = real_app.get("/v1/events", params={"type": "other", "limit": 1}).json()
    assert other_list["next_cursor"]
    misfit = real_app.get("/v1/events", params={"cursor": other_list["next_cursor"]})
    assert misfit.status_code == 400, misfit.text  # a cursor of another list of events


def test_an_uncached_timeline_is_one_loop_read(
    real_app: TestClient, corpus: Corpus, loop_reads: list[str]
) -> None:
    """The entity, then the page's items with their stored event items and articles,
    read in the event loop: nothing on the session's engine."""
    for entity_id in _entity_ids(corpus):
        before, path = len(loop_reads), f"/v1/entities/{entity_id}/timeline?limit=7"
        trips = _sent(real_app, path)
        assert trips.total == 0, (entity_id, trips.texts)
        assert len(loop_reads) - before == 2  # _sent reads twice


def test_timelines_from_the_loop_are_the_sessions_byte_for_byte(
    real_app: TestClient, corpus: Corpus
) -> None:
    """Every page of the busiest entities' timelines, cursors and Link headers included; a
    missing entity and a cursor of another entity's timeline are the session's 404 and 400."""
    state = real_app.app.state  # type: ignore[attr-defined]
    paths = [f"/v1/entities/{id_}/timeline?limit=4" for id_ in _entity_ids(corpus)[:8]]
    looped = {path: _walk(real_app, path) for path in paths}
    assert sum(len(pages) for pages in looped.values()) > len(paths)  # some have more pages
    first, second = paths[:2]
    misfit = f"{second}&cursor={real_app.get(first).json()['next_cursor']}"
    odd = [misfit, "/v1/entities/2147483647/timeline"]
    odd_answers = [(a.status_code, a.content) for a in map(real_app.get, odd)]
    loop_reader = state.answer_reader
    state.answer_reader = AnswerReader(state.engine, enabled=False)
    try:
        for path, pages in looped.items():
            assert _walk(real_app, path) == pages, path
        assert [(a.status_code, a.content) for a in map(real_app.get, odd)] == odd_answers
    finally:
        state.answer_reader = loop_reader
    assert [status for status, _ in odd_answers] == [400, 404]

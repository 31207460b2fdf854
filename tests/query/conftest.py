"""A real corpus for the query API: the seed and the 50 Wikinews articles of the fixture corpus.

Both ship with the repository (``tests/fixtures/corpus``, whose ``manifest.json`` gives each
article its section and says which are ingested undated). Ingested once per test session
through the real pipeline (spaCy) into its own database; each test then runs inside a
rolled-back transaction on it, so curation tests cannot leak.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.kb.intake import Document, ingest_document
from app.main import create_app
from app.settings import Settings
from tests.conftest import API_KEY, SEED_FILE, share_session
from tests.corpus import FixtureArticle, fixture_articles
from tests.databases import rolled_back_session, temporary_database


@dataclass(frozen=True)
class Corpus:
    url: str
    seed_id: int
    wikinews: dict[int, FixtureArticle]  # id → the fixture article, in ingest order

    @property
    def size(self) -> int:
        return 1 + len(self.wikinews)

    @property
    def wikinews_ids(self) -> list[int]:
        return list(self.wikinews)

    @property
    def undated_ids(self) -> list[int]:
        return [id_ for id_, article in self.wikinews.items() if not article.dated]

    def section_ids(self, section: str) -> list[int]:
        """The Wikinews articles of a section (the seed's section comes from its text)."""
        return [id_ for id_, article in self.wikinews.items() if article.section == section]


def _ingest(engine: Engine, settings: Settings) -> tuple[int, dict[int, FixtureArticle]]:
    sessions = make_sessionmaker(engine)
    models = settings.spacy_model

    def store(text: str, **metadata: object) -> int:
        document = Document(text=text, **metadata)  # type: ignore[arg-type]
        with sessions() as session:
            return ingest_document(session, document, model_names=models).article.id

    seed_id = store(SEED_FILE.read_text(encoding="utf-8"))
    wikinews = {
        store(
            article.doc.text,
            section=article.section,
            url=article.url,
            published_at=article.doc.published_at if article.dated else None,
            source="Wikinews",
        ): article
        for article in fixture_articles()
    }
    return seed_id, wikinews


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    with temporary_database(tmp_path_factory.mktemp("corpus"), "corpus") as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            seed_id, wikinews = _ingest(engine, Settings(database_url=url))
        finally:
            engine.dispose()
        yield Corpus(url, seed_id, wikinews)


@pytest.fixture(scope="session")
def corpus_engine(corpus: Corpus) -> Iterator[Engine]:
    engine = make_engine(corpus.url)
    yield engine
    engine.dispose()


@pytest.fixture
def corpus_session(corpus_engine: Engine) -> Iterator[Session]:
    """A session on the corpus inside an outer transaction rolled back after the test."""
    with rolled_back_session(corpus_engine) as session:
        yield session


@pytest.fixture
def corpus_app(corpus: Corpus, corpus_session: Session) -> Iterator[FastAPI]:
    # No read cache: these tests record the statements a request sends (a cached answer sends
    # none), and the cache's own connection cannot see writes in the test's transaction.
    app = create_app(Settings(database_url=corpus.url, api_keys=API_KEY, read_cache_size=0))
    share_session(app, corpus_session)
    yield app
    app.dependency_overrides.clear()


@pytest.fixture
def api(corpus_app: FastAPI) -> Iterator[TestClient]:
    """A client on the corpus database, with the write key."""
    with TestClient(corpus_app, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        yield client


@dataclass
class StatementCounter:
    count: int = 0


@pytest.fixture
def statements(corpus_session: Session) -> Iterator[StatementCounter]:
    """Counts the SQL statements sent on the corpus session's connection."""
    counter = StatementCounter()
    connection = corpus_session.connection()

    def count(*_: object) -> None:
        counter.count += 1

    event.listen(connection, "before_cursor_execute", count)
    yield counter
    event.remove(connection, "before_cursor_execute", count)

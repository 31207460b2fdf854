"""A real corpus for the query API: the seed, 30 Wikinews and 20 BBC articles.

Ingested once per test session through the real pipeline (spaCy) into its own database; each
test then runs inside a rolled-back transaction on it, so curation tests cannot leak.
"""

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from app.api.deps import get_session
from app.corpora import iter_bbc, iter_wikinews
from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.extract.pipeline import parse_document
from app.kb.ingest import ingest_parsed
from app.main import create_app
from app.settings import Settings
from tests.conftest import API_KEY, SEED_FILE
from tests.corpus import corpus_path
from tests.databases import rolled_back_session, temporary_database

WIKINEWS, BBC_PER_TOPIC = 30, 4
BBC_TOPICS = ("business", "entertainment", "politics", "sport", "tech")


@dataclass(frozen=True)
class Corpus:
    url: str
    seed_id: int
    wikinews_ids: list[int]
    bbc_ids: dict[str, list[int]]  # topic → ids

    @property
    def size(self) -> int:
        return 1 + len(self.wikinews_ids) + sum(map(len, self.bbc_ids.values()))


def _ingest(engine: Engine, settings: Settings) -> tuple[int, list[int], dict[str, list[int]]]:
    sessions = make_sessionmaker(engine)
    models = settings.spacy_model

    def store(parsed_text: str, **kwargs: object) -> int:
        section = kwargs.pop("section", None)
        parsed = parse_document(text=parsed_text, **kwargs)  # type: ignore[arg-type]
        if section:
            parsed = dataclasses.replace(parsed, section=section)
        with sessions() as session:
            return ingest_parsed(
                session, parsed, raw_text=parsed_text, model_names=models
            ).article.id

    seed_id = store(SEED_FILE.read_text(encoding="utf-8"))
    wikinews = [
        store(doc.text, published_at=doc.published_at, source_name="Wikinews")
        for doc in islice(iter_wikinews(corpus_path("wikinews")), WIKINEWS)
    ]
    bbc: dict[str, list[int]] = {}
    for topic in BBC_TOPICS:
        docs = (d for d in iter_bbc(corpus_path("bbc")) if Path(d.path).parent.name == topic)
        bbc[topic] = [
            store(doc.text, source_name="BBC", section=topic.title())
            for doc in islice(docs, BBC_PER_TOPIC)
        ]
    return seed_id, wikinews, bbc


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    corpus_path("wikinews")
    corpus_path("bbc")
    with temporary_database(tmp_path_factory.mktemp("corpus"), "corpus") as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            seed_id, wikinews, bbc = _ingest(engine, Settings(database_url=url))
        finally:
            engine.dispose()
        yield Corpus(url, seed_id, wikinews, bbc)


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
    app.dependency_overrides[get_session] = lambda: corpus_session
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

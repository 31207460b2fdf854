"""Shared fixtures: one migrated database per test session, a rolled-back transaction per test."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.api.deps import get_session, get_session_opener
from app.db import migrate
from app.db.engine import make_engine
from app.kb.answers import AnswerReader
from app.main import create_app
from app.settings import Settings
from tests.corpus import CORPUS_DIR, CORPUS_MISSING
from tests.databases import rolled_back_session, temporary_database

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "test-key-0123456789"
SEED_FILE = ROOT / "seed" / "dw-2021-09-12-lukashenko-arms-deal.txt"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Without the research corpora, skip every ``corpus`` test before its fixtures run.

    The skip is raised here, so every such test has the same location and reason, and the
    summary says it once: "SKIPPED [N] tests/conftest.py:…: needs the research corpora…".
    """
    if item.get_closest_marker("corpus") and not CORPUS_DIR.is_dir():
        pytest.skip(CORPUS_MISSING)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with temporary_database(tmp_path_factory.mktemp("db"), "main") as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """Every test starts from an empty database, whatever the code under test commits."""
    with rolled_back_session(engine) as session:
        yield session


@pytest.fixture
def settings(database_url: str) -> Settings:
    # No read cache: its version query runs on a connection of its own, which cannot see the
    # writes of a test's outer transaction (tests/api/middleware/test_read_cache.py commits for
    # real).
    return Settings(
        database_url=database_url, max_body_bytes=200_000, api_keys=API_KEY, read_cache_size=0
    )


def share_session(app: FastAPI, session: Session) -> None:
    """Serve ``app``'s requests on the test's session, inside its outer transaction. The
    stored-answer reads the event loop makes on a connection of their own could not see that
    transaction's writes: they are turned off, and article pages are read on the session."""
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_session_opener] = lambda: lambda: session
    app.state.answer_reader = AnswerReader(session.get_bind(), enabled=False)  # type: ignore[arg-type]


@pytest.fixture
def app(settings: Settings, session: Session) -> Iterator[FastAPI]:
    app = create_app(settings)
    share_session(app, session)
    yield app
    app.dependency_overrides.clear()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        yield client


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED_FILE.read_text(encoding="utf-8")

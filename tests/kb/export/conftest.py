"""One exported corpus for the whole package: ingesting it runs spaCy over six articles."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.db.engine import make_engine
from tests.databases import rolled_back_session
from tests.kb.export.corpus import export_database


@pytest.fixture(scope="package")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with export_database(tmp_path_factory.mktemp("export")) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with rolled_back_session(engine) as session:
        yield session

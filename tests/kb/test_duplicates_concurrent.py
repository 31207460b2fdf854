"""Two copies ingested at once on PostgreSQL: the second waits for the first and links to it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.db.models import Article
from app.kb import duplicates
from benchmarks.duplicates import byline, fixture_bodies
from tests.databases import backend, migrated_engine

pytestmark = pytest.mark.skipif(
    backend() != "postgresql", reason="advisory locks: SQLite serialises writers instead"
)


@pytest.fixture
def committed(tmp_path: Path) -> Iterator[Engine]:
    """A database of its own: the two transactions commit for real."""
    with migrated_engine(tmp_path, "concurrent") as engine:
        yield engine


def new_article(session: Session, body: str, digest: str) -> Article:
    article = Article(content_hash=digest, body=body, raw_text=body, extractor_version="0")
    session.add(article)
    session.flush()
    return article


def test_a_copy_ingested_during_the_first_waits_and_links_to_it(committed: Engine) -> None:
    title, body = fixture_bodies()[0]
    first_session, second_session = Session(committed), Session(committed)
    first = new_article(first_session, body, "a" * 64)
    assert duplicates.link_copy(first_session, first.id, body) is None  # holds its band locks
    found: list[duplicates.Link | None] = []

    def ingest_copy() -> None:
        copy = new_article(second_session, byline(title, body), "b" * 64)
        found.append(duplicates.link_copy(second_session, copy.id, copy.body))
        second_session.commit()

    worker = threading.Thread(target=ingest_copy)
    worker.start()
    worker.join(timeout=1.0)
    assert worker.is_alive(), "the copy did not wait for the first transaction's band locks"
    first_session.commit()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert found and found[0] is not None and found[0].original_id == first.id
    first_session.close()
    second_session.close()

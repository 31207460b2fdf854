"""One-process bulk ingest: a writer thread stores a batch while the next one is extracted."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from app.db.engine import make_sessionmaker
from app.db.models import Article
from app.kb import bulk
from app.kb.bulk import Document, ingest_documents
from app.settings import Settings
from tests.databases import backend, migrated_engine

STORM = "Storm hits coast\n\nA storm hit Portugal on Monday and cut power in Lisbon."
VOTE = "Council votes\n\nThe city council of Oslo voted on Tuesday to raise the budget."
FIRE = "Fire in the hills\n\nA forest fire near Athens forced 300 people to leave on Sunday."


@pytest.fixture
def own_engine(tmp_path: Path) -> Iterator[Engine]:
    """A database of its own: the writes commit for real, from a second thread."""
    with migrated_engine(tmp_path, "writer") as engine:
        yield engine


def test_writes_overlap_extraction_and_copies_across_batches_stay_duplicates(
    own_engine: Engine, settings: Settings
) -> None:
    engine = own_engine
    documents = [
        Document("storm.txt", text=STORM),
        Document("vote.txt", text=VOTE),
        Document("storm-copy.txt", text=STORM),  # next batch: its original may still be writing
        Document("fire.txt", text=FIRE),
        Document("vote-copy.txt", text=VOTE),
    ]
    seen: list[tuple[str, str, str]] = []

    def done(name: str, outcome: str) -> None:
        seen.append((name, outcome, threading.current_thread().name))

    report = ingest_documents(
        make_sessionmaker(engine),
        documents,
        model_names=settings.spacy_model,
        batch_size=2,
        on_done=done,
    )
    assert sorted(n for n, _ in report.created) == ["fire.txt", "storm.txt", "vote.txt"]
    assert sorted(n for n, _ in report.duplicates) == ["storm-copy.txt", "vote-copy.txt"]
    assert report.failed == []
    ids = dict(report.created)
    assert dict(report.duplicates) == {
        "storm-copy.txt": ids["storm.txt"],
        "vote-copy.txt": ids["vote.txt"],
    }
    assert sorted((n, o) for n, o, _ in seen) == sorted(
        [(n, "created") for n in ids] + [(n, "duplicate") for n, _ in report.duplicates]
    )
    writers = {thread for _, outcome, thread in seen if outcome == "created"}
    assert writers and all(t.startswith("newskb-writer") for t in writers)
    with engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(Article))
    assert stored == 3


@pytest.mark.skipif(backend() != "postgresql", reason="statistics are refreshed on PostgreSQL only")
def test_bulk_load_refreshes_planner_statistics_and_gin_pending_lists(
    own_engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Autovacuum may be off or late: a load from empty must not run on empty-table plans."""
    monkeypatch.setattr(bulk, "FIRST_ANALYZE", 2)
    analyzed: list[int] = []
    refresh = bulk._Store.refresh_statistics

    def counted(store: bulk._Store) -> None:
        analyzed.append(len(store.report.created))
        refresh(store)

    monkeypatch.setattr(bulk._Store, "refresh_statistics", counted)
    documents = [Document(f"{i}.txt", text=t) for i, t in enumerate((STORM, VOTE, FIRE))]
    report = ingest_documents(
        make_sessionmaker(own_engine), documents, model_names=settings.spacy_model, batch_size=1
    )
    assert len(report.created) == 3
    assert analyzed == [2, 3]  # at the first threshold, then once at the end
    with own_engine.connect() as connection:
        stats = connection.scalar(
            text("SELECT count(*) FROM pg_stats WHERE tablename = 'entity_aliases'")
        )
        pending = connection.scalar(
            text("SELECT gin_clean_pending_list('ix_articles_search_vector_en'::regclass)")
        )
    assert stats
    assert pending == 0  # already merged by the load

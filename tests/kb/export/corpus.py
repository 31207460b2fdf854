"""A small real corpus for the export tests: the seed and the Wikinews fixture articles.

Ingested through the real pipeline into a database of its own (committed, so that code which
opens its own sessions, like the streamed API answer, sees it).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from app.corpora import iter_wikinews
from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.kb.intake import Document, ingest_document
from app.settings import Settings
from tests.conftest import SEED_FILE
from tests.databases import temporary_database

WIKINEWS = Path(__file__).resolve().parents[2] / "fixtures" / "wikinews"


def _ingest(session: Session, model_names: str) -> None:
    seed = SEED_FILE.read_text(encoding="utf-8")
    seed_document = Document(text=seed, url="https://p.dw.com/p/40DrA", source="DW")
    ingest_document(session, seed_document, model_names=model_names)
    docs = list(iter_wikinews(WIKINEWS))
    assert len(docs) == 5, f"expected the five Wikinews fixture articles in {WIKINEWS}"
    for doc in docs:
        document = Document(
            text=doc.text,
            url=f"https://en.wikinews.org/wiki/{Path(doc.path).stem}",
            published_at=doc.published_at,
            source="Wikinews",
        )
        ingest_document(session, document, model_names=model_names)


@contextmanager
def export_database(folder: Path) -> Iterator[str]:
    """The URL of a migrated database holding the six articles; dropped afterwards."""
    with temporary_database(folder, "export") as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            with make_sessionmaker(engine)() as session:
                _ingest(session, Settings(database_url=url).spacy_model)
        finally:
            engine.dispose()
        yield url

"""Migrate, then ingest the seed documents; running it twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.kb.intake import Document, ingest_document
from app.settings import Settings, get_settings

SEED_SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html"}


@dataclass(frozen=True)
class SeedResult:
    path: Path
    article_id: int
    created: bool


def seed(settings: Settings) -> list[SeedResult]:
    engine = make_engine(settings.database_url)
    try:
        migrate.upgrade(engine)
        sessions = make_sessionmaker(engine)
        results = []
        for path in sorted(settings.seed_dir.iterdir()):
            kind = SEED_SUFFIXES.get(path.suffix.lower())
            if kind is None:
                continue
            content = path.read_text(encoding="utf-8")
            document = (
                Document(path.name, html=content)
                if kind == "html"
                else Document(path.name, text=content)
            )
            with sessions() as session:
                result = ingest_document(session, document, model_names=settings.spacy_model)
                results.append(SeedResult(path, result.article.id, result.created))
        return results
    finally:
        engine.dispose()


def main() -> int:
    settings = get_settings()
    print(f"Database: {settings.database_url}")  # noqa: T201
    print("Migrated to head.")  # noqa: T201
    for result in seed(settings):
        what = "ingested as" if result.created else "already stored as"
        print(f"{result.path.name}: {what} article {result.article_id}")  # noqa: T201
    return 0

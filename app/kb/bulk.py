"""Bulk ingest: parse, drop duplicates before any NLP, batch the NLP, one transaction per article.

Batching through ``nlp.pipe`` (optionally over several processes) is what makes archive loads
fast; each article still commits on its own, so a crash loses at most the article in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from sqlalchemy.orm import Session, sessionmaker

from app.extract.document import content_hash, parse_document
from app.extract.types import ParsedArticle
from app.kb.ingest import extract_many, find_existing, ingest_article


@dataclass(frozen=True)
class Document:
    """One input document: its name (a path, an id) and its text or HTML, plus known metadata."""

    name: str
    text: str | None = None
    html: str | None = None
    url: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    source: str | None = None


@dataclass
class BulkReport:
    created: list[tuple[str, int]] = field(default_factory=list)
    duplicates: list[tuple[str, int]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def ingest_documents(
    sessions: sessionmaker[Session],
    documents: Iterable[Document],
    *,
    model_names: str,
    batch_size: int = 64,
    n_process: int = 1,
    on_done: Callable[[str, str], None] | None = None,
) -> BulkReport:
    """Ingest many documents; ``on_done(name, outcome)`` reports each one (for progress bars)."""
    report = BulkReport()

    def done(name: str, outcome: str) -> None:
        if on_done is not None:
            on_done(name, outcome)

    for batch in _batches(documents, batch_size):
        fresh: list[tuple[Document, ParsedArticle]] = []
        seen_hashes: set[str] = set()
        repeats: list[tuple[str, str]] = []  # (name, hash) of copies inside this batch
        with sessions() as session:
            for document in batch:
                parsed = parse_document(
                    text=document.text,
                    html=document.html,
                    url=document.url,
                    title=document.title,
                    published_at=document.published_at,
                    source_name=document.source,
                )
                if not parsed.body.strip():
                    report.failed.append((document.name, "no text once cleaned"))
                    done(document.name, "failed")
                    continue
                digest = content_hash(parsed)
                if digest in seen_hashes:
                    repeats.append((document.name, digest))
                    continue
                existing = find_existing(session, content_hash=digest, url=parsed.url)
                if existing is not None:
                    report.duplicates.append((document.name, existing.id))
                    done(document.name, "duplicate")
                    continue
                seen_hashes.add(digest)
                fresh.append((document, parsed))
        extracted = extract_many(
            [parsed for _, parsed in fresh],
            model_names=model_names,
            batch_size=batch_size,
            n_process=n_process,
        )
        stored: dict[str, int] = {}
        for (document, _), result in zip(fresh, extracted, strict=True):
            result.extra["raw_text"] = document.text or document.html or ""
            try:
                with sessions() as session:
                    outcome = ingest_article(session, result)
                    article_id = outcome.article.id
            except Exception as exc:  # one bad article must not stop an archive load
                report.failed.append((document.name, f"{exc.__class__.__name__}: {exc}"))
                done(document.name, "failed")
                continue
            stored[result.content_hash] = article_id
            target = report.created if outcome.created else report.duplicates
            target.append((document.name, article_id))
            done(document.name, "created" if outcome.created else "duplicate")
        for name, digest in repeats:
            if digest in stored:
                report.duplicates.append((name, stored[digest]))
                done(name, "duplicate")
            else:
                report.failed.append((name, "a copy of a document that failed"))
                done(name, "failed")
    return report


def _batches(items: Iterable[Document], size: int) -> Iterator[list[Document]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch

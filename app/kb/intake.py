"""The one ingest door: a typed ``Document`` in, an article stored (or its duplicate named) out.

Every caller goes through here: the API (``POST /v1/articles``), the queue's workers, the
seed, ``newskb ingest`` (bulk, which runs the same steps over batches) and the tests. What an
article must be before it is ingested (storable text, no markup in plain fields) is checked
once by ``clean_article``, so the API and the CLI accept and refuse the same input.

``ingest_document`` is a short sequence of steps, each a function of its own that bulk ingest
reuses: ``parse`` (clean the text, apply the sender's metadata), ``find_duplicate`` (before
paying for NLP), ``extract`` and ``store`` (one transaction). A feature that hooks into ingest
hooks into the step it concerns, so both the one-article and the bulk path get it.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app import metrics
from app.db.engine import end_transaction
from app.db.models import Article
from app.errors import EmptyArticle, InvalidInput, UnreadableText
from app.extract import types as x
from app.extract.document import content_hash, parse_document
from app.extract.markup import strip_markup
from app.kb import versions
from app.kb.ingest import (
    IngestResult,
    check_length,
    extract_many,
    find_existing,
    ingest_article,
    within_budget,
)
from app.kb.sql.transaction import committing
from app.schemas.articles import ArticleCreate

__all__ = [
    "Document",
    "IngestResult",
    "clean_article",
    "document_from",
    "find_duplicate",
    "ingest_document",
    "is_storable",
    "parse",
    "parse_checked",
    "strip_markup",
]


@dataclass(frozen=True)
class Document:
    """One document to ingest: its text or HTML, plus the metadata its sender knows.

    ``name`` says where it came from (a file path, ``feed.jsonl:3``) for reports and logs; it
    is not stored. Metadata given here wins over what the parser finds in the text.
    """

    name: str = ""
    text: str | None = None
    html: str | None = None
    url: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    source: str | None = None
    section: str | None = None
    language: str | None = None  # as stated by the sender: it wins over detection

    @property
    def raw(self) -> str:
        """The text as sent, stored beside the cleaned body."""
        return self.text if self.text is not None else self.html or ""


def document_from(article: ArticleCreate, name: str = "") -> Document:
    """The door's document for a request body already through ``clean_article``."""
    return Document(
        name=name,
        text=article.text,
        html=article.html,
        url=str(article.url) if article.url is not None else None,
        title=article.title,
        published_at=article.published_at,
        source=article.source,
        language=article.language,
    )


def parse(document: Document) -> x.ParsedArticle:
    """Clean the text or HTML; the sender's metadata wins over what the parser found."""
    parsed = parse_document(
        text=document.text,
        html=document.html,
        url=document.url,
        title=document.title,
        published_at=document.published_at,
        source_name=document.source,
        language=document.language,
    )
    if document.section:
        parsed = dataclasses.replace(parsed, section=document.section)
    return parsed


def find_duplicate(session: Session, parsed: x.ParsedArticle) -> Article | None:
    """The stored article this one repeats (same content or same URL), checked before NLP.

    A new text at a stored article's URL repeats nothing: it is extracted, and ``store`` keeps
    it as that article's next version (``app.kb.versions``).
    """
    digest = content_hash(parsed)
    existing = find_existing(session, content_hash=digest, url=parsed.url)
    if existing is not None and versions.is_new_text(
        session, existing, url=parsed.url, content_hash=digest
    ):
        return None
    return existing


def parse_checked(document: Document, *, budget_seconds: float = 0.0) -> x.ParsedArticle:
    """``parse`` within the budget; refuses (4xx) a document with no text or too much of it."""
    with within_budget(budget_seconds, "HTML extraction" if document.html else "Parsing"):
        parsed = parse(document)
    if not parsed.body.strip():
        raise EmptyArticle("The article has no text once page furniture and markup are removed.")
    check_length(parsed)
    return parsed


def store(
    session: Session,
    document: Document,
    extracted: x.ExtractedArticle,
    *,
    then: Callable[[Session, IngestResult], None] | None = None,
) -> IngestResult:
    """Store the article and its facts in one transaction (``then`` runs inside it).

    A new article or a new version calls ``then`` in the transaction that stores it; a
    duplicate met on the way (a concurrent ingest won the race) in one of its own.
    """
    result = ingest_article(session, extracted, raw_text=document.raw, then=then)
    if result.created or result.version is not None:
        return result
    return _duplicate(session, result, then)


@metrics.observed_ingest
def ingest_document(
    session: Session,
    document: Document,
    *,
    model_names: str,
    budget_seconds: float = 0.0,
    then: Callable[[Session, IngestResult], None] | None = None,
) -> IngestResult:
    """Store a document, or name the stored article it duplicates; nothing is written twice.

    ``budget_seconds`` (when positive) bounds parsing and extraction together. ``then`` is
    called with the result in the transaction that stores the article, or in one of its own
    for a duplicate (a queue job records its outcome there, so the two commit together).
    """
    started = time.monotonic()
    parsed = parse_checked(document, budget_seconds=budget_seconds)
    if (existing := find_duplicate(session, parsed)) is not None:
        return _duplicate(session, IngestResult(existing, created=False), then)
    end_transaction(session)  # no pooled connection held while the NLP runs
    left = budget_seconds - (time.monotonic() - started)
    left = max(left, 0.001) if budget_seconds > 0 else 0.0
    with within_budget(left, "Extraction"):
        extracted = extract_many([parsed], model_names=model_names)[0]
    return store(session, document, extracted, then=then)


def _duplicate(
    session: Session, result: IngestResult, then: Callable[[Session, IngestResult], None] | None
) -> IngestResult:
    if then is not None:
        with committing(session):
            then(session, result)
    return result


_SURROGATE = re.compile("[\ud800-\udfff]")


def is_storable(value: str) -> bool:
    """PostgreSQL text cannot hold NUL; a lone surrogate (``"\\ud800"`` in JSON) is not UTF-8."""
    return "\x00" not in value and _SURROGATE.search(value) is None


def _check_storable(field: str, value: str) -> None:
    if "\x00" in value:
        raise UnreadableText(f"`{field}` contains a NUL character.")
    if _SURROGATE.search(value):
        raise UnreadableText(f"`{field}` contains an unpaired surrogate (not valid Unicode).")


def clean_article(document: ArticleCreate) -> ArticleCreate:
    """Refuse what cannot be stored; strip markup from plain text, title and source."""
    for field in ("text", "html", "title", "source"):
        value = getattr(document, field)
        if value is not None:
            _check_storable(field, value)
    if document.url is not None:
        _check_storable("url", str(document.url))
    if document.published_at is not None:
        try:
            document.published_at.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise InvalidInput(
                "`published_at` is outside the years 1 to 9999 once converted to UTC.",
                errors=[{"loc": ["body", "published_at"], "msg": str(exc), "type": "value_error"}],
            ) from exc
    updates: dict[str, Any] = {}
    for field in ("title", "source"):
        value = getattr(document, field)
        if value is not None:
            updates[field] = strip_markup(value).strip() or None
    if document.text is not None:
        updates["text"] = strip_markup(document.text)
        if not updates["text"].strip():
            raise EmptyArticle("The article has no text once markup and whitespace are removed.")
    return document.model_copy(update=updates)

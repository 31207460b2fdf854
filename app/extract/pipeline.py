"""The extraction pipeline: parse → spaCy → entities, roles, time, amounts, quotes, events."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from app.extract.amounts import extract_amounts
from app.extract.entities import extract_entities
from app.extract.events import extract_events
from app.extract.html import parse_html
from app.extract.nlp import DEFAULT_MODELS, ZoneDoc, analyse
from app.extract.parse import parse_text
from app.extract.quotes import extract_quotes
from app.extract.time import extract_timexes
from app.extract.types import ExtractedArticle, ParsedArticle

# Bump when extraction output changes, so stored articles can be re-extracted.
EXTRACTOR_VERSION = "0.1.0"

_SPACES = re.compile(r"\s+")


def content_hash(parsed: ParsedArticle) -> str:
    """Identity of an article's content: the cleaned body with whitespace folded."""
    normalized = _SPACES.sub(" ", parsed.body).strip().casefold()
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def with_overrides(
    parsed: ParsedArticle,
    *,
    title: str | None = None,
    url: str | None = None,
    published_at: datetime | None = None,
    source_name: str | None = None,
) -> ParsedArticle:
    """Metadata the caller states wins over what the parser found."""
    return replace(
        parsed,
        title=title or parsed.title,
        url=url or parsed.url,
        published_at=published_at or parsed.published_at,
        source_name=source_name or parsed.source_name,
    )


def parse_document(
    *,
    text: str | None = None,
    html: str | None = None,
    url: str | None = None,
    title: str | None = None,
    published_at: datetime | None = None,
    source_name: str | None = None,
) -> ParsedArticle:
    """Clean a document given as scraped text or HTML; caller-stated metadata wins."""
    parsed = parse_html(html, url=url) if html is not None else parse_text(text or "")
    return with_overrides(
        parsed, title=title, url=url, published_at=published_at, source_name=source_name
    )


def extract_parsed(
    articles: Sequence[ParsedArticle],
    *,
    model_names: str = DEFAULT_MODELS,
    batch_size: int = 64,
    n_process: int = 1,
) -> list[ExtractedArticle]:
    """Extract facts from cleaned articles, batching the NLP over all of them."""
    analysed = analyse(
        articles, model_names=model_names, batch_size=batch_size, n_process=n_process
    )
    return [_extract_one(article, docs) for article, docs in zip(articles, analysed, strict=True)]


def _extract_one(parsed: ParsedArticle, docs: list[ZoneDoc]) -> ExtractedArticle:
    published = parsed.published_at.date() if parsed.published_at else None
    entities, roles = extract_entities(docs)
    timexes = extract_timexes(docs, published=published)
    amounts = extract_amounts(docs)
    quotes = extract_quotes(docs, entities)
    events = extract_events(
        docs, entities=entities, timexes=timexes, amounts=amounts, published=published
    )
    return ExtractedArticle(
        parsed=parsed,
        content_hash=content_hash(parsed),
        extractor_version=EXTRACTOR_VERSION,
        entities=tuple(entities),
        roles=tuple(roles),
        timexes=tuple(timexes),
        amounts=tuple(amounts),
        quotes=tuple(quotes),
        events=tuple(events),
    )

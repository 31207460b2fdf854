"""The spaCy-free front of extraction: clean a document and compute its identity.

Kept apart from ``pipeline`` so that the API's read path and duplicate checks never import
spaCy: the model loads only where extraction really runs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import datetime

from app.extract.html import parse_html
from app.extract.parse import parse_text
from app.extract.types import ParsedArticle

# Bump when extraction output changes, so stored articles can be re-extracted.
EXTRACTOR_VERSION = "0.3.0"

# spaCy refuses longer texts (``nlp.max_length``): a longer zone is refused before the NLP.
MAX_TEXT_CHARS = 1_000_000

_SPACES = re.compile(r"\s+")


def content_hash(parsed: ParsedArticle) -> str:
    """Identity of an article's content: the cleaned body with whitespace folded."""
    normalized = _SPACES.sub(" ", parsed.body).strip().casefold()
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def too_long(parsed: ParsedArticle) -> bool:
    """Whether a zone of the article (body, title, teaser, a caption) is over ``MAX_TEXT_CHARS``."""
    return any(len(text) > MAX_TEXT_CHARS for _, _, text in parsed.zone_texts())


def with_overrides(
    parsed: ParsedArticle,
    *,
    title: str | None = None,
    url: str | None = None,
    published_at: datetime | None = None,
    source_name: str | None = None,
    language: str | None = None,
) -> ParsedArticle:
    """Metadata the caller states wins over what the parser found."""
    return replace(
        parsed,
        title=title or parsed.title,
        url=url or parsed.url,
        published_at=published_at or parsed.published_at,
        source_name=source_name or parsed.source_name,
        language=language or parsed.language,
    )


def parse_document(
    *,
    text: str | None = None,
    html: str | None = None,
    url: str | None = None,
    title: str | None = None,
    published_at: datetime | None = None,
    source_name: str | None = None,
    language: str | None = None,
) -> ParsedArticle:
    """Clean a document given as scraped text or HTML; caller-stated metadata wins."""
    parsed = parse_html(html, url=url) if html is not None else parse_text(text or "")
    return with_overrides(
        parsed,
        title=title,
        url=url,
        published_at=published_at,
        source_name=source_name,
        language=language,
    )

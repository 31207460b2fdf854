"""What an article must be before it is ingested: storable text, no markup in plain fields.

The API and the CLI both pass every new document through ``clean_article``, so they accept
and refuse the same input.
"""

import re
from datetime import UTC
from typing import Any

from app.errors import EmptyArticle, InvalidInput, UnreadableText
from app.extract.markup import strip_markup
from app.schemas.articles import ArticleCreate

__all__ = ["clean_article", "is_storable", "strip_markup"]

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

"""What an article must be before it is ingested: storable text, no markup in plain fields.

The API and the CLI both pass every new document through ``clean_article``, so they accept
and refuse the same input.
"""

import re
from datetime import UTC
from typing import Any

from app.errors import EmptyArticle, InvalidInput, UnreadableText
from app.schemas.articles import ArticleCreate

# Script and style blocks go with their content; any other tag goes alone. Entities such as
# ``&lt;`` are left as they are, so unescaping can never make a tag.
_SCRIPT_OR_STYLE_OPEN = re.compile(r"<(script|style)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<!--.*?-->|<![^<>]*>", re.DOTALL)
_TAG_NOT_COMMENT = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<![^<>]*>")
_SURROGATE = re.compile("[\ud800-\udfff]")


def strip_markup(text: str) -> str:
    """Plain text never carries markup: drop scripts, styles, comments and tags."""
    for _ in range(8):  # repeat: removing ``<b>`` from ``<<b>script>`` makes a new tag
        if "<" not in text:
            return text
        stripped = _strip_tags(_strip_scripts(text))
        if stripped == text:
            return text
        text = stripped
    # Deeper nesting is an attack, not an article; refusing it keeps the work linear.
    raise InvalidInput("The text holds markup nested too deeply to remove.")


def _strip_scripts(text: str) -> str:
    """``<script …>`` or ``<style …>`` up to its closing tag (or the end of the text) removed.

    Linear time: an opening tag is only looked for before the last ``>`` (a regex searched
    over the whole text rescanned the rest of it from every unclosed ``<script``).
    """
    parts: list[str] = []
    position = 0
    limit = text.rfind(">") + 1
    while (opening := _SCRIPT_OR_STYLE_OPEN.search(text, position, limit)) is not None:
        parts.append(text[position : opening.start()])
        closing = re.compile(rf"</{opening[1]}\s*>", re.IGNORECASE).search(text, opening.end())
        if closing is not None:
            position = closing.end()
        else:  # unclosed: everything to the end goes, but a final line break stays
            position = len(text) - 1 if text.endswith("\n") else len(text)
            break
    if not parts:
        return text
    parts.append(text[position:])
    return "".join(parts)


def _strip_tags(text: str) -> str:
    """Tags and comments removed, in linear time.

    ``<!--.*?-->`` alone rescans the rest of the text from every ``<!--`` that no ``-->``
    follows (160 KB of ``<!--`` took 32 s). No match can run past the last ``-->``, so the
    text after it is cleaned without looking for comments at all.
    """
    cut = text.rfind("-->") + 3 if "-->" in text else 0
    return _TAG.sub("", text[:cut]) + _TAG_NOT_COMMENT.sub("", text[cut:])


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

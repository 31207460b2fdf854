"""Markup out of plain text: what was a tag in the text is never stored as one.

Used on the text a client posts (``app.kb.intake``) and on the text an HTML page decodes to:
``&lt;script&gt;`` in a page is the text ``<script>``, and it goes the same way as a
``<script>`` posted as plain text.
"""

import re

from app.errors import InvalidInput

# Script and style blocks go with their content; any other tag goes alone. Entities such as
# ``&lt;`` are left as they are, so unescaping can never make a tag.
_SCRIPT_OR_STYLE_OPEN = re.compile(r"<(script|style)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<!--.*?-->|<![^<>]*>", re.DOTALL)
_TAG_NOT_COMMENT = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<![^<>]*>")


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

"""Markup out of plain text: what was a tag in the text is never stored as one.

Used on the text a client posts (``app.kb.intake``) and on the text an HTML page decodes to:
``&lt;script&gt;`` in a page is the text ``<script>``, and it goes the same way as a
``<script>`` posted as plain text.
"""

import re

from app.errors import InvalidInput

# Script and style blocks go with their content; any other tag goes alone. Entities such as
# ``&lt;`` are left as they are, so unescaping can never make a tag.
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<!--.*?-->|<![^<>]*>", re.DOTALL)


def strip_markup(text: str) -> str:
    """Plain text never carries markup: drop scripts, styles, comments and tags."""
    for _ in range(8):  # repeat: removing ``<b>`` from ``<<b>script>`` makes a new tag
        if "<" not in text:
            return text
        stripped = _TAG.sub("", _SCRIPT_OR_STYLE.sub("", text))
        if stripped == text:
            return text
        text = stripped
    # Deeper nesting is an attack, not an article; refusing it keeps the work linear.
    raise InvalidInput("The text holds markup nested too deeply to remove.")

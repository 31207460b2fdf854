"""Normalization of names for lookup: case-, accent- and punctuation-insensitive."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w\s-]+")
_SPACES = re.compile(r"[\s_-]+")
_LEADING_ARTICLE = re.compile(r"^(the|a|an)\s+")


def normalize_name(name: str) -> str:
    """``"The Kremlin's"`` → ``"kremlin's"`` minus punctuation: ``"kremlins"``; accents folded."""
    if not name.isascii():  # most names are: NFKD and the accent filter would change nothing
        decomposed = unicodedata.normalize("NFKD", name)
        name = "".join(c for c in decomposed if not unicodedata.combining(c))
    text = _NON_WORD.sub("", name.casefold())
    text = _SPACES.sub(" ", text).strip()
    return _LEADING_ARTICLE.sub("", text)

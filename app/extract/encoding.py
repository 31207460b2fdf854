"""Bytes to text for every way an article arrives (API body, CLI file): one rule, one place.

HTML is read as a browser reads it (``decode_html``: byte-order mark, UTF-8, the declared
charset, the page's ``<meta charset>``, then windows-1252). Plain text carries no declaration
of its own, so it is read only when its encoding is known: UTF-8 (a UTF-8 byte-order mark is
dropped), or a charset the caller declares (an HTTP ``Content-Type`` parameter). Anything else
is refused (UTF-16 too: "\xff\xfe" then ASCII would read as CJK characters, not an error),
not guessed: a detector (charset-normalizer was tried) reads a Latin-1 "£" in English news as
Japanese cp932 or a Baltic code page, and the garbage would be stored as entities.
"""

from __future__ import annotations

from typing import Literal

from app.extract.html import charset_codec, decode_html


class UndecodableText(ValueError):
    """Bytes whose encoding is not known; ``str(exc)`` says why and what to do."""


def decode_document(data: bytes, kind: Literal["text", "html"], declared: str | None = None) -> str:
    """``data`` as text; ``declared`` is a charset named by the sender (HTTP ``charset=``).

    Raises ``UndecodableText`` for plain text that is neither valid in the declared charset
    nor UTF-8; HTML is always read.
    """
    if kind == "html":
        return decode_html(data, declared)
    if declared:
        codec = charset_codec(declared)
        if codec is None:
            raise UndecodableText(f"unknown charset {declared!r}")
        return _strict(data, codec, f"the declared charset {declared}")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise UndecodableText(
            f"not UTF-8 (byte {exc.start}) and no charset declared; convert it to UTF-8 "
            "first, e.g. `iconv -f WINDOWS-1252 -t UTF-8`"
        ) from exc


def _strict(data: bytes, codec: str, what: str) -> str:
    try:
        return data.decode(codec).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise UndecodableText(f"not valid {what} (byte {exc.start})") from exc

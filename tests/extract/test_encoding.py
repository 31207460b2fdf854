"""One decoding rule for the API and the CLI: HTML as a browser reads it, plain text only when
its encoding is known (UTF-8, or a declared charset), refused otherwise."""

import pytest

from app.extract.encoding import UndecodableText, decode_document
from app.extract.html import decode_html

TEXT = "The minister’s “plan” cost £5m, said José Müller."


def test_utf8_text_is_read_with_or_without_a_bom() -> None:
    assert decode_document(TEXT.encode("utf-8"), "text") == TEXT
    assert decode_document(b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "text") == TEXT


@pytest.mark.parametrize("codec", ["cp1252", "latin-1", "cp1251"])
def test_text_that_is_not_utf8_is_refused_not_guessed(codec: str) -> None:
    text = "Министр заявил во вторник" if codec == "cp1251" else "Café owners met José Müller."
    with pytest.raises(UndecodableText, match=r"not UTF-8 \(byte \d+\).*iconv"):
        decode_document(text.encode(codec), "text")


def test_text_in_a_declared_charset_is_read_in_it() -> None:
    assert decode_document(TEXT.encode("cp1252"), "text", "windows-1252") == TEXT
    # Latin-1 labels read as windows-1252, as browsers do: the curly quotes survive.
    assert decode_document(TEXT.encode("cp1252"), "text", "iso-8859-1") == TEXT


def test_text_invalid_in_its_declared_charset_or_an_unknown_charset_is_refused() -> None:
    with pytest.raises(UndecodableText, match="declared charset utf-8"):
        decode_document(TEXT.encode("cp1252"), "text", "utf-8")
    with pytest.raises(UndecodableText, match="unknown charset"):
        decode_document(b"plain", "text", "klingon-8")


def test_html_is_read_as_before() -> None:
    page = '<meta charset="windows-1252"><p>Café “owners” – €5</p>'.encode("cp1252")
    assert decode_document(page, "html") == decode_html(page) == page.decode("cp1252")
    undeclared = "<p>Café “owners”</p>".encode("cp1252")
    assert decode_document(undeclared, "html") == undeclared.decode("cp1252")

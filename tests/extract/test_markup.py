"""Markup stripping of plain text: the same output as the plain regexes, in linear time."""

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.extract import markup
from app.settings import Settings

FULL_BODY = Settings().max_body_bytes  # the largest body the API reads

# The regexes strip_markup used before it was made linear: the oracle for its output.
_OLD_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_OLD_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<!--.*?-->|<![^<>]*>", re.DOTALL)


def _old_strip_once(text: str) -> str:
    return _OLD_TAG.sub("", _OLD_SCRIPT.sub("", text))


markupish = st.lists(
    st.sampled_from(
        [*"<>!-/ \n\tabsy=\"'", "<!--", "-->", "<script", "</script>", "<style>", "</STYLE >"]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=600, deadline=None)
@given(markupish)
def test_one_pass_strips_what_the_regexes_stripped(text: str) -> None:
    assert markup._strip_tags(markup._strip_scripts(text)) == _old_strip_once(text)


class _Recorder:
    """Wraps a compiled pattern; records how much text each call may look at."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.scanned = 0

    def sub(self, repl: str, text: str) -> str:
        self.scanned += len(text)
        return self.pattern.sub(repl, text)

    def search(self, text: str, pos: int = 0, endpos: int = 2**63 - 1) -> Any:
        self.scanned += max(min(endpos, len(text)) - pos, 0)
        return self.pattern.search(text, pos, endpos)


@pytest.mark.parametrize("unit", ["<!--", "<!-- a ", "x<!--y"])
def test_unclosed_comments_at_full_body_size_are_never_searched_for_a_close(
    monkeypatch: pytest.MonkeyPatch, unit: str
) -> None:
    """The comment alternative rescans to the end from every ``<!--``: it must see no text
    that has no ``-->`` after it (32 s for 160 KB before; hours at the body limit)."""
    comments = _Recorder(markup._TAG)
    monkeypatch.setattr(markup, "_TAG", comments)
    head = "a <!-- closed --> b "
    run = unit * ((FULL_BODY - len(head)) // len(unit))
    assert markup.strip_markup(head + run) == "a  b " + run  # no comment there ever closes
    assert comments.scanned == head.rfind("-->") + 3  # up to the last ``-->``, one pass


@pytest.mark.parametrize("unit", ["<script ", "<style a=1 ", "<SCRIPT<"])
def test_unclosed_script_tags_at_full_body_size_scan_the_text_once(
    monkeypatch: pytest.MonkeyPatch, unit: str
) -> None:
    opening = _Recorder(markup._SCRIPT_OR_STYLE_OPEN)
    monkeypatch.setattr(markup, "_SCRIPT_OR_STYLE_OPEN", opening)
    text = unit * (FULL_BODY // len(unit))
    assert markup.strip_markup(text) == text  # no tag ever closes: nothing to strip
    assert opening.scanned == 0  # no ``>`` at all: the opening tag is not even looked for


def test_markup_is_still_stripped() -> None:
    text = "A<!-- c -->B<script>x()</script>C<b>D</b><style>p{}</style>E<!DOCTYPE html>F"
    assert markup.strip_markup(text) == "ABCDEF"
    assert markup.strip_markup("a <script>never closed\n") == "a \n"

"""Extraction's work grows linearly with pathological input (issue 16 item 4): quote lookups,
entity patterns, HTML tag scans. The times are measured by ``benchmarks/pathological.py``."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from app.extract import html
from app.extract.quotes import find_quote_groups
from app.extract.ranges import Ranges
from app.settings import Settings

PATTERNS = Path(html.__file__).parent / "patterns"
FULL_BODY = Settings().max_body_bytes


def test_ranges_answer_like_any_over_the_ranges() -> None:
    ranges = [(0, 3), (2, 9), (4, 5), (12, 14), (20, 21)]
    found = Ranges(ranges)
    for offset in range(-2, 25):
        assert (offset in found) == any(s <= offset < e for s, e in ranges), offset


class _CountingList(list[tuple[int, int]]):
    iterations = 0

    def __iter__(self) -> Any:
        for item in super().__iter__():
            _CountingList.iterations += 1
            yield item


def test_quote_lookups_do_not_walk_every_quote() -> None:
    """``'"a" '`` repeated: 15,000 quotes in 60 KB; a lookup per token over all of them
    was the quadratic loop of events (and quotes, speakers)."""
    text = '"a" ' * 15_000
    pieces = _CountingList((p.start, p.end) for g in find_quote_groups(text) for p in g.pieces)
    assert len(pieces) == 15_000
    found = Ranges(pieces)
    _CountingList.iterations = 0
    inside = sum(offset in found for offset in range(0, len(text), 4))
    assert inside == 0  # every token offset is on an opening mark, outside the quote
    assert sum(offset + 1 in found for offset in range(0, len(text), 4)) == 15_000
    assert _CountingList.iterations == 0  # answered by bisection, never by a walk


def _unbounded(token: dict[str, Any]) -> bool:
    return token.get("OP") in ("+", "*") or bool(re.fullmatch(r"\{\d*,\}", token.get("OP", "")))


@pytest.mark.parametrize("path", sorted(PATTERNS.glob("*.jsonl")), ids=lambda p: p.name)
def test_no_pattern_opens_with_an_unbounded_repeat(path: Path) -> None:
    """spaCy's Matcher starts a match at every token the first pattern token accepts and
    keeps each alive while the repeat goes on: ``IS_TITLE +`` over 60 KB of ``Foo `` was
    quadratic (12 s for 15 KB). A run must be bounded (``{1,6}``) where a match can open."""
    for line in path.read_text("utf-8").splitlines():
        pattern = json.loads(line)["pattern"]
        if isinstance(pattern, list):
            assert not _unbounded(pattern[0]), line[:120]


class _TagRecorder:
    def __init__(self, pattern: re.Pattern[str], text: str) -> None:
        self.pattern, self.last_close = pattern, text.rfind(">") + 1

    def finditer(self, text: str, pos: int = 0, endpos: int = 2**63 - 1) -> Any:
        # Searching past the last ``>`` rescans the rest from every unclosed ``<div``.
        assert min(endpos, len(text)) <= self.last_close
        return self.pattern.finditer(text, pos, endpos)


@pytest.mark.parametrize("unit", ["<div ", "<div a='1' ", "<span"])
def test_flattening_never_searches_for_tags_past_the_last_close(
    monkeypatch: pytest.MonkeyPatch, unit: str
) -> None:
    page = "<div><p>Text</p></div>" + unit * (FULL_BODY // len(unit))
    monkeypatch.setattr(html, "_TAG", _TagRecorder(html._TAG, page))
    assert html.flatten_nesting(page) == page  # nothing nested deep enough to flatten

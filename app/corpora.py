"""Lazy readers for the news corpora used by tests, benchmarks and the CLI.

Each reader yields ``CorpusDoc``s in a stable order (sorted file names, then document order);
``text`` is what a user would paste: the title line, a blank line, then the body.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True, slots=True)
class CorpusDoc:
    path: str  # the file, plus "#NEWID" for Reuters stories
    title: str | None
    published_at: datetime | None
    text: str


_WIKINEWS_DATE = re.compile(r"Date:\s*(\d{4}-\d{2}-\d{2})")
_REUTERS_STORY = re.compile(r"<REUTERS\b[^>]*\bNEWID=\"(\d+)\"[^>]*>(.*?)</REUTERS>", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def read_text(path: Path) -> str:
    """A file's text: UTF-8, or Latin-1 for the few files that are not (bbc/sport/199.txt)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def iter_bbc(root: Path) -> Iterator[CorpusDoc]:
    """The BBC dataset: ``<topic>/<nnn>.txt``, line 1 the title; no dates."""
    for path in sorted(root.glob("*/*.txt")):
        text = read_text(path).strip()
        title = text.split("\n", 1)[0].strip() or None
        yield CorpusDoc(path=str(path), title=title, published_at=None, text=text)


def iter_wikinews(root: Path) -> Iterator[CorpusDoc]:
    """Wikinews files: title, ``Date: YYYY-MM-DD``, blank line, body (the date line is dropped)."""
    for path in sorted(root.glob("*.txt")):
        title, _, rest = read_text(path).strip().partition("\n")
        date_line, _, body = rest.partition("\n")
        match = _WIKINEWS_DATE.fullmatch(date_line.strip())
        if match is None:  # no header: keep the whole rest as body
            body = rest
        published = datetime.strptime(match[1], "%Y-%m-%d").replace(tzinfo=UTC) if match else None
        text = f"{title.strip()}\n\n{body.strip()}"
        yield CorpusDoc(
            path=str(path), title=title.strip() or None, published_at=published, text=text
        )


def _sgml_field(story: str, tag: str) -> str | None:
    match = re.search(rf"<{tag}>(.*?)</{tag}>", story, re.DOTALL)
    if match is None:
        return None
    return _CONTROL.sub("", html.unescape(match[1])).strip()


def _reuters_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:  # "26-FEB-1987 15:01:01.79", " 5-MAR-1987 09:11:28.84": the seconds' fraction cut
        stamp = value.strip().split(".")[0]
        return datetime.strptime(stamp, "%d-%b-%Y %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def iter_reuters(root: Path) -> Iterator[CorpusDoc]:
    """Reuters-21578 stories that have a body (``reut2-*.sgm``); the dateline opens the text."""
    for path in sorted(root.glob("reut2-*.sgm")):
        for match in _REUTERS_STORY.finditer(read_text(path)):
            story = match[2]
            body = _sgml_field(story, "BODY")
            if not body:
                continue
            title = _sgml_field(story, "TITLE") or None
            dateline = _sgml_field(story, "DATELINE") or ""
            lead = f"{dateline} {body}" if dateline else body
            text = f"{title}\n\n{lead}" if title else lead
            yield CorpusDoc(
                path=f"{path}#{match[1]}",
                title=title,
                published_at=_reuters_date(_sgml_field(story, "DATE")),
                text=text,
            )

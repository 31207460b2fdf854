"""An extractor that fails on one candidate drops that fact, not the article.

``extract_parsed`` opens a ``collecting()`` scope per article. Inside it, ``guard`` turns an
exception raised while one candidate (a date span, a number, a quote, an event trigger) is
read into an ``ExtractionFailure`` on the article, and the extractor goes on with the next
candidate; the pipeline also guards each extractor as a whole. Extraction stays pure: failures
are data, and the ingest side (``app.kb``) logs and counts them.

Outside any scope (an extractor called on its own, as the unit tests do) nothing is caught, so
a bug shows where it happens instead of as a missing fact.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import TYPE_CHECKING

from app.extract.types import ExtractionFailure, Span

if TYPE_CHECKING:
    from app.extract.nlp import ZoneDoc

# Every extractor that ``guard`` names; the metrics show each from the start.
EXTRACTORS = ("entities", "time", "amounts", "quotes", "events")

_collected: ContextVar[list[ExtractionFailure] | None] = ContextVar(
    "newskb_extraction_failures", default=None
)


@contextmanager
def collecting() -> Iterator[list[ExtractionFailure]]:
    """The failures of the extraction run inside the ``with`` block (one article)."""
    failures: list[ExtractionFailure] = []
    token = _collected.set(failures)
    try:
        yield failures
    finally:
        _collected.reset(token)


class guard:  # lower case: it reads as a statement, ``with guard("time", zone_doc, start, end):``
    """Drop the candidate read in the ``with`` block if it raises, and record why.

    ``zone_doc``, ``start`` and ``end`` locate the candidate; its span is only computed when it
    fails. A plain class, not ``@contextmanager``: it is entered once per candidate.
    """

    __slots__ = ("end", "extractor", "start", "zone_doc")

    def __init__(
        self, extractor: str, zone_doc: ZoneDoc | None = None, start: int = 0, end: int = 0
    ) -> None:
        self.extractor, self.zone_doc, self.start, self.end = extractor, zone_doc, start, end

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if error is None or not isinstance(error, Exception):
            return False
        failures = _collected.get()
        if failures is None:
            return False  # not inside the pipeline: let it raise
        failures.append(self._failure(error))
        return True

    def _failure(self, error: Exception) -> ExtractionFailure:
        message = f"{error.__class__.__name__}: {error}"[:300]
        zone_doc = self.zone_doc
        if zone_doc is None:
            return ExtractionFailure(self.extractor, message)
        span: Span | None = None
        text = ""
        if 0 <= self.start <= self.end <= len(zone_doc.text):
            span = zone_doc.span(self.start, self.end)
            text = zone_doc.text[self.start : self.end][:100]
        return ExtractionFailure(self.extractor, message, span, text)

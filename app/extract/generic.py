"""The pipeline of a language other than English: entities, dates and quotes from data.

English has the full rule set of ``app/extract`` (roles, amounts, events, speakers...), written
for English syntax. Another language gets what a spaCy model and a pattern file
(``patterns/lang_<code>.json``) can give without rules of its own: NER entities typed by a
label table, countries and demonyms resolved to ISO codes (so "Allemagne" and "Germany" are one
country), dates found by the file's expressions and read by dateparser in that language, and
quotes between the language's marks with a cue verb or source word and its speaker. A new
language is a model, a pattern file and tests; this module does not change.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from app.extract.countries import (
    Country,
    country_by_code,
    country_by_name,
    local_country_names,
    lookup_key,
)
from app.extract.failures import guard
from app.extract.nlp import ZoneDoc
from app.extract.types import Entity, EntityType, Mention, Precision, Quote, Timex

PATTERNS_DIR = Path(__file__).parent / "patterns"
_YEAR = re.compile(r"\b(?:1[0-9]|20)\d\d\b")


@dataclass(frozen=True)
class Profile:
    """One language's pattern file, compiled."""

    language: str
    labels: dict[str, EntityType]
    articles: tuple[str, ...]
    countries: dict[str, str]  # lookup key → ISO code
    demonyms: dict[str, str]  # casefolded form → ISO code
    dateparser_language: str
    dates: re.Pattern[str]
    quote_marks: tuple[tuple[str, str], ...]
    cue_lemmas: frozenset[str]
    sources: frozenset[str]
    pronouns: frozenset[str]
    min_direct_words: int
    calendar_words: frozenset[str]


@lru_cache(maxsize=8)
def load_profile(language: str) -> Profile:
    data: dict[str, Any] = json.loads((PATTERNS_DIR / f"lang_{language}.json").read_text("utf-8"))
    countries = dict(local_country_names(language))
    for code, names in data["countries"].items():
        countries.update(dict.fromkeys((lookup_key(name) for name in names), code))
    weekdays, months = "|".join(data["weekdays"]), "|".join(data["months"])
    dates = "|".join(
        "(?:"
        + pattern.replace("{weekday}", f"(?:{weekdays})").replace("{month}", f"(?:{months})")
        + ")"
        for pattern in data["dates"]
    )
    quotes = data["quotes"]
    return Profile(
        language=language,
        labels=data["labels"],
        articles=tuple(data["articles"]),
        countries=countries,
        demonyms={
            form.casefold(): code for code, forms in data["demonyms"].items() for form in forms
        },
        dateparser_language=data["dateparser_language"],
        dates=re.compile(rf"\b(?:{dates})\b", re.IGNORECASE),
        quote_marks=tuple((opening, closing) for opening, closing in quotes["marks"]),
        cue_lemmas=frozenset(quotes["cue_lemmas"]),
        sources=frozenset(word.casefold() for word in quotes["sources"]),
        pronouns=frozenset(quotes["pronouns"]),
        min_direct_words=int(quotes["min_direct_words"]),
        calendar_words=frozenset(w.casefold() for w in [*data["weekdays"], *data["months"]]),
    )


@dataclass
class _Mention:
    zone: ZoneDoc
    start: int  # character offsets in the zone's text
    end: int
    type: EntityType
    country: Country | None = None

    @property
    def text(self) -> str:
        return self.zone.text[self.start : self.end]


def extract_entities(docs: Sequence[ZoneDoc], profile: Profile) -> list[Entity]:
    """NER mentions and demonyms, one entity per country code, person or name."""
    mentions: list[_Mention] = []
    for zone in docs:
        mentions.extend(_ner_mentions(zone, profile))
        mentions.extend(_demonym_mentions(zone, profile, mentions))
    return _entities(mentions)


def _ner_mentions(zone: ZoneDoc, profile: Profile) -> list[_Mention]:
    found = []
    for ent in zone.doc.ents:
        entity_type = profile.labels.get(ent.label_)
        if entity_type is None:
            continue
        start, end = _trimmed(ent, profile)
        if start >= end:
            continue
        if entity_type == "person":
            end = _extended_name(zone.doc, ent, end, profile)
        text = zone.text[start:end]
        country = _country(text, profile)
        if country is not None and entity_type != "person":
            found.append(_Mention(zone, start, end, "country", country))
        elif not any(ch.isalpha() for ch in text) or text.casefold() in profile.calendar_words:
            continue
        else:
            found.append(_Mention(zone, start, end, entity_type))
    return found


def _trimmed(ent: SpacySpan, profile: Profile) -> tuple[int, int]:
    """The entity without a leading article ("l'Allemagne") or trailing punctuation."""
    start, end = ent.start_char, ent.end_char
    text = ent.text
    for article in profile.articles:
        if text.casefold().startswith(article) and (
            article[-1] in "'’" or text[len(article) : len(article) + 1] == " "
        ):
            start += len(article) + (0 if article[-1] in "'’" else 1)
            break
    stripped = ent.doc.text[start:end].rstrip(" ,.;:")
    return start, start + len(stripped)


def _extended_name(doc: Doc, ent: SpacySpan, end: int, profile: Profile) -> int:
    """A person's name that NER cut short ("Emmanuel" | "Macron"): the capitalized words
    that follow it are part of it, unless they are a weekday or a month."""
    index = ent.end
    while index < len(doc):
        token = doc[index]
        if not token.is_title or token.text.casefold() in profile.calendar_words:
            break
        if any(e.start == index for e in doc.ents if e.label_ != "PER"):
            break
        end, index = token.idx + len(token.text), index + 1
    return end


def _country(text: str, profile: Profile) -> Country | None:
    code = profile.countries.get(lookup_key(text)) or profile.demonyms.get(text.casefold())
    if code is not None:
        return country_by_code(code)
    return country_by_name(text)  # an English name used as is ("Iran", "USA")


def _demonym_mentions(zone: ZoneDoc, profile: Profile, found: list[_Mention]) -> list[_Mention]:
    """Adjectives and nouns of nationality ("allemand", "les Français") outside NER spans."""
    taken = [(m.start, m.end) for m in found if m.zone is zone]
    out = []
    for token in zone.doc:
        code = profile.demonyms.get(token.text.casefold())
        start, end = token.idx, token.idx + len(token.text)
        if code is None or any(s < end and start < e for s, e in taken):
            continue
        if (country := country_by_code(code)) is not None:
            out.append(_Mention(zone, start, end, "country", country))
    return out


def _entities(mentions: list[_Mention]) -> list[Entity]:
    """Group mentions: countries by code, people by full name or a surname that only one
    of them has, everything else by type and name."""
    groups: dict[str, list[_Mention]] = {}
    people = [m for m in mentions if m.type == "person" and " " in m.text.strip()]
    surnames: dict[str, set[str]] = {}
    for m in people:
        surnames.setdefault(m.text.split()[-1].casefold(), set()).add(m.text.casefold())
    for m in mentions:
        if (
            m.type != "person"
            and m.country is None
            and len(surnames.get(m.text.casefold(), ())) == 1
        ):
            m.type = "person"  # "Macron" read as a place where "Emmanuel Macron" is named
        if m.country is not None:
            key = f"country:{m.country.code}"
        elif m.type == "person" and len(owners := surnames.get(m.text.casefold(), set())) == 1:
            key = f"person:{next(iter(owners))}"
        else:
            key = f"{m.type}:{m.text.casefold()}"
        groups.setdefault(key, []).append(m)
    entities = []
    for index, (key, group) in enumerate(groups.items()):
        first = group[0]
        surfaces = list(dict.fromkeys(m.text for m in group))
        name = first.country.name if first.country else max(surfaces, key=len)
        entities.append(
            Entity(
                key=f"{key}#{index}",
                type=first.type,
                name=name,
                mentions=tuple(
                    Mention(m.text, m.zone.span(m.start, m.end), 0.8 if not m.country else 0.9)
                    for m in group
                ),
                aliases=tuple(s for s in surfaces if s != name),
                country_code=first.country.code if first.country else None,
                confidence=0.8,
            )
        )
    return entities


def extract_timexes(
    docs: Sequence[ZoneDoc], profile: Profile, *, published: date | None
) -> list[Timex]:
    """Every date expression the pattern file finds, read by dateparser against ``published``."""
    out = []
    for zone in docs:
        for match in profile.dates.finditer(zone.text):
            with guard("time", zone, match.start(), match.end()):
                out.append(_timex(zone, match, profile, published))
    return out


def _timex(zone: ZoneDoc, match: re.Match[str], profile: Profile, published: date | None) -> Timex:
    text = match.group()
    span = zone.span(match.start(), match.end())
    has_year = _YEAR.search(text) is not None
    if published is None and not has_year:
        return Timex(text, span, None, "fuzzy", None, confidence=0.5)
    found = _parser(profile.dateparser_language, published).get_date_data(text)
    when, period = found.date_obj, found.period or "day"
    if when is None:
        return Timex(text, span, None, "fuzzy", published, confidence=0.5)
    day = when.date()
    if published is not None and not has_year and (published - day).days == 7:
        day = published  # the weekday of publication is that day, not a week before
    precision: Precision
    if period == "year" or (has_year and text.strip().isdigit()):
        first, last = date(day.year, 1, 1), date(day.year, 12, 31)
        value, precision = f"{day.year:04d}", "year"
    elif period == "month":
        last_day = calendar.monthrange(day.year, day.month)[1]
        first, last = date(day.year, day.month, 1), date(day.year, day.month, last_day)
        value, precision = f"{day.year:04d}-{day.month:02d}", "month"
    else:
        first = last = day
        value, precision = day.isoformat(), "day"
    return Timex(
        text,
        span,
        value,
        precision,
        published,
        range_start=first,
        range_end=last,
        imputed=not has_year,
        confidence=0.8 if has_year else 0.7,
    )


@lru_cache(maxsize=64)
def _parser(language: str, published: date | None) -> Any:
    from dateparser.date import DateDataParser

    settings: dict[str, Any] = {"PREFER_DATES_FROM": "past", "RETURN_TIME_AS_PERIOD": False}
    if published is not None:
        settings["RELATIVE_BASE"] = datetime.combine(published, time(12))
    return DateDataParser(languages=[language], settings=settings)


def extract_quotes(
    docs: Sequence[ZoneDoc], entities: Sequence[Entity], profile: Profile
) -> list[Quote]:
    """Text between the language's quote marks with a cue verb or source word in its sentence;
    the speaker is the person the cue names (its subject, the name after it, or for a pronoun
    the last person named before the quote)."""
    people = sorted(
        (m.span.zone, m.span.zone_index, m.span.start, m.span.end, e.key)
        for e in entities
        if e.type == "person"
        for m in e.mentions
    )
    surnames = {
        e.name.split()[-1].casefold(): e.key
        for e in entities
        if e.type == "person" and " " in e.name
    }
    out = []
    for zone in docs:
        for opening, closing in profile.quote_marks:
            inside = f"[^{re.escape(opening + closing)}]+?"
            pattern = re.compile(rf"{re.escape(opening)}\s*({inside})\s*{re.escape(closing)}")
            for match in pattern.finditer(zone.text):
                quote = _quote(zone, match, people, surnames, profile)
                if quote is not None:
                    out.append(quote)
    return out


def _quote(
    zone: ZoneDoc,
    match: re.Match[str],
    people: Sequence[tuple[str, int, int, int, str]],
    surnames: dict[str, str],
    profile: Profile,
) -> Quote | None:
    doc = zone.doc
    start, end = match.start(1), match.end(1)
    text = match.group(1)
    around = doc.char_span(match.start(), match.end(), alignment_mode="expand")
    if around is None:
        return None
    cue = _cue(doc, around, profile)
    if cue is None:
        return None
    zone_people = [
        (s, e, key) for z, i, s, e, key in people if (z, i) == (zone.zone, zone.zone_index)
    ]
    speaker = _speaker(doc, cue, around, zone_people, surnames, profile)
    words = len(text.split())
    return Quote(
        text=text,
        span=zone.span(start, end),
        speaker_key=speaker,
        direct=words >= profile.min_direct_words,
        confidence=0.7 if speaker else 0.5,
    )


def _cue(doc: Doc, quote: SpacySpan, profile: Profile) -> Token | None:
    """The cue verb or source word nearest the quote within its sentence (after it first)."""
    sentence_start = doc[quote.start].sent.start
    sentence_end = doc[max(quote.end - 1, 0)].sent.end
    after = range(quote.end, min(sentence_end, quote.end + 8))
    before = range(quote.start - 1, max(sentence_start, quote.start - 12) - 1, -1)
    for index in [*after, *before]:
        token: Token = doc[index]
        if token.lemma_ in profile.cue_lemmas or token.lower_ in profile.sources:
            return token
    return None


def _speaker(
    doc: Doc,
    cue: Token,
    quote: SpacySpan,
    people: list[tuple[int, int, str]],
    surnames: dict[str, str],
    profile: Profile,
) -> str | None:
    """The person named right after the cue, else before it in the sentence outside the
    quote; a subject pronoun ("a-t-il dit") is the last person named before the quote."""
    sentence = cue.sent
    window = doc[cue.i + 1 : min(cue.i + 6, sentence.end)]
    if any(_pronoun(token, profile) for token in doc[max(cue.i - 2, 0) : cue.i + 2]):
        earlier = [key for s, e, key in people if e <= quote.start_char]
        return earlier[-1] if earlier else None
    for s, _e, key in people:
        if window.start_char <= s < window.end_char:
            return key
    for token in window:  # a surname NER did not tag ("a déclaré Macron")
        if (found := surnames.get(token.text.casefold())) is not None:
            return found
    for s, e, key in reversed(people):
        if (
            sentence.start_char <= s
            and e <= sentence.end_char
            and not (quote.start_char <= s < quote.end_char)
        ):
            return key
    return None


def _pronoun(token: Token, profile: Profile) -> bool:
    text = token.lower_.lstrip("-").removeprefix("t-")
    return text in profile.pronouns

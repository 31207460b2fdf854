"""The dataclasses that extraction returns: every item carries the span it came from.

Offsets are ``[start, end)`` character offsets into the text of the item's *zone*:
``body`` and ``subhead`` index into ``ParsedArticle.body`` (subheads stay in place in the body),
``title`` and ``teaser`` into those strings, ``caption`` into ``images[zone_index].caption``.
Entities are referred to by ``key``, a string that is unique within one article.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Literal

Zone = Literal["body", "subhead", "title", "teaser", "caption"]
EntityType = Literal[
    "person",
    "organization",
    "country",
    "place",
    "group",
    "event",
    "weapon",
    "product",
    "work",
    "other",
]
Precision = Literal[
    "datetime", "day", "week", "month", "quarter", "season", "year", "decade", "fuzzy"
]
EventType = Literal[
    "meeting",
    "visit",
    "military_exercise",
    "arms_deal",
    "agreement",
    "statement",
    "state_of_emergency",
    "deployment",
    "attack",
    "election",
    "protest",
    "sanction",
    "other",
]
EventStatus = Literal["occurred", "ongoing", "expected"]


@dataclass(frozen=True, slots=True)
class Span:
    """Where a fact was read: a zone of the article and ``[start, end)`` in that zone's text."""

    start: int
    end: int
    zone: Zone = "body"
    zone_index: int = 0  # the image index for captions, else 0
    sentence: int = 0  # sentence index within the zone


@dataclass(frozen=True, slots=True)
class Image:
    caption: str
    credit: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """A cleaned article: metadata plus a body free of page furniture."""

    body: str
    title: str | None = None
    teaser: str | None = None
    published_at: datetime | None = None
    url: str | None = None
    source_name: str | None = None
    source_domain: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    subheads: tuple[str, ...] = ()
    # [start, end) of each subhead within ``body``, in the same order as ``subheads``.
    subhead_spans: tuple[tuple[int, int], ...] = ()
    # An ISO 639 code; None until stated (by the client, the page's ``lang``) or detected.
    language: str | None = None
    # The dateline's place ("LOS ANGELES" of "LOS ANGELES (Reuters) -"), removed from the body;
    # its agency goes into ``agencies``.
    dateline: str | None = None

    def zone_texts(self) -> list[tuple[Zone, int, str]]:
        """Every text that extraction reads, as (zone, zone_index, text); subheads live in body."""
        texts: list[tuple[Zone, int, str]] = [("body", 0, self.body)]
        if self.title:
            texts.append(("title", 0, self.title))
        if self.teaser:
            texts.append(("teaser", 0, self.teaser))
        texts.extend(("caption", i, image.caption) for i, image in enumerate(self.images))
        return texts

    def zone_of(self, start: int) -> Zone:
        """``subhead`` when a body offset falls inside a subhead, else ``body``."""
        return "subhead" if any(s <= start < e for s, e in self.subhead_spans) else "body"


@dataclass(frozen=True, slots=True)
class Mention:
    text: str
    span: Span
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Entity:
    """One real-world thing within one article, with every mention of it."""

    key: str
    type: EntityType
    name: str  # canonical name ("Alexander Lukashenko", "Belarus")
    mentions: tuple[Mention, ...]
    aliases: tuple[str, ...] = ()  # other surface forms ("Lukashenko", "Belarusian")
    country_code: str | None = None  # ISO 3166-1 alpha-2 for countries (and demonyms)
    # For places that stand for a state ("Moscow", "the Kremlin" → Russia): that country's key.
    stands_for: str | None = None
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Role:
    """A person holding a position: "Polish Prime Minister Mateusz Morawiecki"."""

    person_key: str
    title: str  # "Prime Minister"
    of_key: str | None  # the country or organization's entity key, if stated
    span: Span
    text: str = ""
    confidence: float = 1.0
    # When or how the title is held, kept out of ``title``: "former" (also "ex-"), "then",
    # "acting", "interim", "outgoing", "incoming", "caretaker", "late"; None when unqualified.
    # A former minister and a minister are two roles.
    qualifier: str | None = None


@dataclass(frozen=True, slots=True)
class Timex:
    """A date or time expression, normalized against the article's published date."""

    text: str
    span: Span
    value: str | None  # ISO 8601: "2021-09-13", "2021-10", "2025", or "start/end"
    precision: Precision
    anchor: date | None  # the date it was resolved against
    range_start: date | None = None
    range_end: date | None = None  # inclusive last day
    imputed: bool = False  # the year was not written and was inferred
    ambiguous: bool = False  # more than one reading is reasonable
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Amount:
    text: str
    span: Span
    value: float
    # ISO 4217 code for money, else the counted noun ("military personnel"); a rate's unit
    # names its base: "cases per 100,000 people", "USD per gallon", "% per year".
    unit: str
    kind: Literal["money", "count", "percent", "quantity", "rate"] = "count"
    # Amounts in one article that express the same quantity share a group number.
    same_as_group: int | None = None
    confidence: float = 1.0
    # A vague or hedged number: "hundreds of thousands" (its value the lower round figure),
    # "dozens", "about 300", "an estimated 2 million".
    approximate: bool = False


@dataclass(frozen=True, slots=True)
class Quote:
    text: str
    span: Span
    speaker_key: str | None
    channel: str | None = None
    direct: bool = True  # False for a short partial quote ("warned of 'provocations'")
    confidence: float = 1.0
    # How the text describes a speaker it does not name ("a spokesperson", "one GOP
    # operative"); None when the speaker is an entity or nobody is credited.
    speaker_description: str | None = None


@dataclass(frozen=True, slots=True)
class Participant:
    entity_key: str
    role: str  # agent, counterpart, host, buyer, seller, participant, target, ...


@dataclass(frozen=True, slots=True)
class Event:
    type: EventType
    status: EventStatus
    summary: str
    evidence: tuple[Span, ...]
    evidence_text: tuple[str, ...] = ()
    participants: tuple[Participant, ...] = ()
    location_key: str | None = None
    date_start: date | None = None
    date_end: date | None = None
    date_precision: Precision | None = None
    amount_indexes: tuple[int, ...] = ()  # indexes into ExtractedArticle.amounts
    name_key: str | None = None  # the named-event entity ("Zapad-2021"), if any
    trigger: str = ""  # the lemma of the word that reports it ("win", "theft", "blackout")
    main: bool = False  # the article's main event: what its headline (or lead) reports
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class ExtractionFailure:
    """One extractor that raised on one candidate, or on the whole article when ``span`` is
    None: that fact (or that extractor's facts) was dropped and the rest of the article kept."""

    extractor: str  # "entities", "time", "amounts", "quotes", "events"
    error: str  # "ValueError: year -981 is out of range"
    span: Span | None = None
    text: str = ""  # the candidate's text, cut short


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """Everything extraction found in one article."""

    parsed: ParsedArticle
    content_hash: str
    extractor_version: str
    entities: tuple[Entity, ...] = ()
    roles: tuple[Role, ...] = ()
    timexes: tuple[Timex, ...] = ()
    amounts: tuple[Amount, ...] = ()
    quotes: tuple[Quote, ...] = ()
    events: tuple[Event, ...] = ()
    failures: tuple[ExtractionFailure, ...] = ()


def _pickled_as_values(cls: type) -> None:
    """Pickle as the class and its field values, in order.

    A worker's extraction process sends each extracted article (hundreds of these objects) to
    the process that stores it; the slotted dataclass default looks the fields up again for
    every object, which made pickling twice as slow.
    """
    names = [f.name for f in fields(cls)]
    values = operator.attrgetter(*names)
    if len(names) == 1:
        setattr(cls, "__reduce__", lambda self: (cls, (values(self),)))  # noqa: B010
    else:
        setattr(cls, "__reduce__", lambda self: (cls, values(self)))  # noqa: B010


for _record in (
    Span,
    Image,
    ParsedArticle,
    Mention,
    Entity,
    Role,
    Timex,
    Amount,
    Quote,
    Participant,
    Event,
    ExtractionFailure,
    ExtractedArticle,
):
    _pickled_as_values(_record)

"""Date and time expressions: spaCy DATE/TIME spans (trimmed and widened) plus weekday names it
misses, normalized by ``timenorm`` against the published date and the tense of their clause."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from app.extract.failures import guard
from app.extract.nlp import ZoneDoc
from app.extract.timecontext import (
    is_bare_year,
    is_deictic,
    quoted_ranges,
    reported_from_another_day,
    year_in_context,
)
from app.extract.timenorm import normalize
from app.extract.timevalues import WEEKDAYS, Resolved, Tense
from app.extract.types import Timex

_DATE_WORDS = set(WEEKDAYS) | {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "christmas", "easter", "eve", "day", "year", "new", "valentine",
    "halloween", "boxing", "good", "mid", "q1", "q2", "q3", "q4", "mon", "tue", "wed", "thu",
    "fri", "sat",
}  # fmt: skip
# Named things that merely contain a weekday or "today" ("USA Today", "Bloody Sunday").
_NAME_LABELS = {"ORG", "WORK_OF_ART", "EVENT", "FAC", "PRODUCT", "PERSON", "LAW"}
_EXTRA = re.compile(
    r"\b(?:(?:[Ll]ast|[Nn]ext|[Tt]his(?: past| coming)?|[Ee]arly|[Ll]ate) )?"
    r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
    r"(?: (?:morning|afternoon|evening|night))?(?: of (?:last|next|this) week)?\b"
    r"|\b(?:[Yy]esterday|[Tt]oday|[Tt]omorrow|[Tt]onight)\b"
    r"|\b\d{4}-\d{2}-\d{2}\b"
)
_CLOCK = re.compile(
    r"\b(1[0-2]|0?\d)(?:[:.]([0-5]\d))?\s*([ap])\.?\s?m\b\.?"
    r"|\b([01]?\d|2[0-3]):([0-5]\d)\b|\b(noon|midday|midnight)\b",
    re.IGNORECASE,
)
_APPOSITION_GAP = re.compile(r"\s*,\s*(?:(?:on|a|an|which was|that was|which is)\s+)?")
_BARE_WEEKDAY = re.compile(
    r"(?:(?:a|an|on)\s+)?((?:mon|tues|wednes|thurs|fri|satur|sun)day)", re.IGNORECASE
)
# Characters: a longer "date" is a table row or a run-on list read as one span (and more than
# the store's 500).
_LONGEST = 200
_SEASON_WORDS = {"spring", "summer", "autumn", "fall", "winter"}
_PARTS_OF_DAY = {"morning", "afternoon", "evening", "night", "overnight"}
_FUTURE_MODALS = {"will", "'ll", "shall", "wo", "would", "could", "may", "might", "should", "must"}
_FUTURE_HEADS = {"expect", "schedule", "plan", "set", "due", "intend", "aim", "slate", "prepare"}
_FUTURE_HEADS |= {"hope", "want", "seek", "vow", "pledge", "promise", "threaten", "propose", "go"}
_PAST_AUX = {"did", "was", "were", "had", "has", "have", "'d", "'ve"}
_PAST_FINITE = {"did", "was", "were", "had", "'d"}
_NOMINAL = {"NOUN", "PROPN", "PRON"}
_FUTURE_CUES = re.compile(
    r"\b(?:next|coming|upcoming|forthcoming|later this|later in the|this coming)"
    r" (?:\w+ )?(?:day|days|week|weeks|weekend|month|months|year|season|term)\b"
    r"|\b(?:upcoming|forthcoming)\b"
    r"|\b(?:is|are|'s|'re) (?:due|set|scheduled|slated) (?:to|for|on|in)\b"
)
_PAST_CUES = re.compile(
    r"\b(?:last|past|previous|earlier this|earlier in the)"
    r" (?:\w+ )?(?:day|days|week|weeks|weekend|month|months|year|season)\b|\bago\b"
)


def extract_timexes(docs: Sequence[ZoneDoc], *, published: date | None) -> list[Timex]:
    """Every date or time expression of the article's zones, in zone and text order."""
    timexes: list[Timex] = []
    for zone_doc in docs:
        quotes = quoted_ranges(zone_doc.text)
        found: list[Timex | None] = []
        for start, end in _candidates(zone_doc.doc):
            with guard("time", zone_doc, start, end):  # a span that fails is dropped alone
                found.append(_timex(zone_doc, start, end, published, quotes))
        dated = _agree_weekdays([t for t in found if t is not None], zone_doc.text, published)
        timexes.extend(_attach_clock_days(dated))
    return timexes


def _agree_weekdays(timexes: list[Timex], text: str, published: date | None) -> list[Timex]:
    """ "on Dec. 18, a Wednesday" or "Wednesday, Dec. 18": the weekday names the date's day.

    The weekday is not resolved on its own; when the date's year was imputed, the weekday
    chooses among the neighbouring years, and a weekday that fits no year marks both ambiguous.
    """
    out = list(timexes)
    for i in range(len(out) - 1):
        first, second = out[i], out[i + 1]
        gap = text[first.span.end : second.span.start]
        if not _APPOSITION_GAP.fullmatch(gap):
            continue
        if _weekday_of(first.text) is not None and _weekday_of(second.text) is None:
            weekday_index, date_index = i, i + 1
        elif _weekday_of(second.text) is not None and _weekday_of(first.text) is None:
            weekday_index, date_index = i + 1, i
        else:
            continue
        when = out[date_index]
        if when.precision not in ("day", "datetime") or when.range_start is None:
            continue
        wanted = _weekday_of(out[weekday_index].text)
        day_ = when.range_start
        if day_.weekday() != wanted and when.imputed and published is not None:
            fitting = [d for d in _same_day_nearby(day_, published) if d.weekday() == wanted]
            if len(fitting) == 1:
                day_ = fitting[0]
                when = replace(when, value=day_.isoformat(), range_start=day_, range_end=day_)
        if day_.weekday() != wanted:
            when = replace(when, ambiguous=True, confidence=min(when.confidence, 0.5))
        out[date_index] = when
        out[weekday_index] = replace(
            out[weekday_index],
            value=day_.isoformat(),
            precision="day",
            range_start=day_,
            range_end=day_,
            imputed=when.imputed,
            ambiguous=when.ambiguous,
            confidence=when.confidence,
        )
    return out


def _weekday_of(text: str) -> int | None:
    """The weekday a bare weekday expression names ("Wednesday", "a Wednesday"), else None."""
    match = _BARE_WEEKDAY.fullmatch(text.strip())
    return WEEKDAYS.index(match[1].lower()) if match else None


def _same_day_nearby(day_: date, published: date) -> list[date]:
    out = []
    for year_ in (published.year - 1, published.year, published.year + 1):
        try:
            out.append(day_.replace(year=year_))
        except ValueError:  # 29 February
            continue
    return out


def _timex(
    zone_doc: ZoneDoc, start: int, end: int, published: date | None, quotes: list[tuple[int, int]]
) -> Timex | None:
    doc = zone_doc.doc
    text = zone_doc.text[start:end]
    if len(text) > _LONGEST:
        return None
    tokens = doc.char_span(start, end, alignment_mode="expand")
    if tokens is None or len(tokens) == 0:
        return None
    if _not_a_date(text, tokens):
        return None
    tense, imputing = year_tense(tokens)
    clock = _CLOCK.search(text)
    date_text = _CLOCK.sub(" ", text).strip(" ,") if clock else text
    resolved = normalize(date_text, published, tense) if date_text else None
    if resolved is not None and resolved.imputed and imputing != tense:
        resolved = normalize(date_text, published, imputing)
    if clock:
        resolved = _with_clock(resolved, clock)
    if resolved is None:
        return None
    confidence, ambiguous = resolved.confidence, resolved.ambiguous
    if published is None and resolved.value is None:
        confidence = min(confidence, 0.3)
    if (
        resolved.precision in ("day", "datetime", "week")
        and is_deictic(text)
        and reported_from_another_day(zone_doc.zone, start, end, quotes)
    ):
        confidence, ambiguous = min(confidence, 0.5), True  # "yesterday" of the speaker
    return Timex(
        text=text,
        span=zone_doc.span(start, end),
        value=resolved.value,
        precision=resolved.precision,
        anchor=published,
        range_start=resolved.start,
        range_end=resolved.end,
        imputed=resolved.imputed,
        ambiguous=ambiguous,
        confidence=confidence,
    )


def _not_a_date(text: str, tokens: SpacySpan) -> bool:
    """ "winter wheat", "1709 schoolchildren": words spaCy took for dates."""
    root = tokens.root
    if len(tokens) == 1 and root.dep_ in ("compound", "amod") and root.lower_ in _SEASON_WORDS:
        return True
    if is_bare_year(tokens) and not year_in_context(root):
        return True  # "the film 1917", "2100 GMT": a year only in temporal context
    return bool(re.fullmatch(r"\d{4}", text)) and root.dep_ == "nummod" and root.head.tag_ == "NNS"


def _with_clock(resolved: Resolved | None, clock: re.Match[str]) -> Resolved:
    """A clock time on a resolved day is a datetime; on its own it waits for a day nearby."""
    hour, minute = _clock_time(clock)
    if resolved is None or resolved.precision != "day" or resolved.value is None:
        return Resolved(f"T{hour:02d}:{minute:02d}", "datetime", confidence=0.3)
    return replace(
        resolved, value=f"{resolved.value}T{hour:02d}:{minute:02d}", precision="datetime"
    )


def _clock_time(clock: re.Match[str]) -> tuple[int, int]:
    if clock[6]:
        return (0, 0) if clock[6].lower() == "midnight" else (12, 0)
    if clock[4]:
        return int(clock[4]), int(clock[5])
    hour = int(clock[1]) % 12 + (12 if clock[3].lower() == "p" else 0)
    return hour, int(clock[2] or 0)


def _attach_clock_days(timexes: list[Timex]) -> list[Timex]:
    """Give a bare clock time ("at 3 p.m.") the day named in the same sentence, if exactly one."""
    out: list[Timex] = []
    for timex in timexes:
        if timex.value is not None and timex.value.startswith("T"):
            days = {
                (t.value, t.range_start)
                for t in timexes
                if t.span.sentence == timex.span.sentence and t.precision == "day" and t.value
            }
            if len(days) == 1:
                ((value, day),) = days
                timex = replace(timex, value=f"{value}{timex.value}", range_start=day,
                                range_end=day, confidence=0.7)  # fmt: skip
            else:
                timex = replace(timex, value=None)
        out.append(timex)
    return out


def _candidates(doc: Doc) -> list[tuple[int, int]]:
    """Character ranges of date expressions, without overlaps, in text order."""
    spans = [s for ent in doc.ents if ent.label_ in ("DATE", "TIME") for s in [_trim(ent)] if s]
    taken = [(s.start_char, s.end_char) for s in spans]
    names = [(e.start_char, e.end_char) for e in doc.ents if e.label_ in _NAME_LABELS]
    for match in _EXTRA.finditer(doc.text):
        bounds = (match.start(), match.end())
        if not any(_overlaps(bounds, other) for other in taken + names):
            taken.append(bounds)
    taken.extend(_eve_spans(doc, taken))
    return sorted(set(taken))


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _trim(ent: SpacySpan) -> SpacySpan | None:
    """Drop edge tokens that are not part of the date; take in a leading "by" and "of last week"."""
    doc = ent.doc
    start, end = ent.start, ent.end
    while start < end and _is_noise(doc[start]):
        start += 1
    while end > start and (_is_noise(doc[end - 1]) or doc[end - 1].tag_ == "POS"):
        end -= 1
    if start == end:
        return None
    if start > 0 and doc[start - 1].lower_ == "by":
        start -= 1
    if end < len(doc) and doc[end].lower_ in _PARTS_OF_DAY and doc[end - 1].lower_ in WEEKDAYS:
        end += 1
    tail = doc[end : end + 3]
    if (
        len(tail) == 3
        and tail[0].lower_ == "of"
        and tail[2].lower_ == "week"
        and (tail[1].lower_ in ("last", "next", "this"))
    ):
        end += 3
    return doc[start:end]


def _is_noise(token: Token) -> bool:
    if token.is_space or (token.is_punct and token.text not in ("'", "’")):
        return True
    return token.pos_ == "PROPN" and token.lower_.rstrip(".") not in _DATE_WORDS


def _eve_spans(doc: Doc, taken: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """ "on the eve of the drills": a day fixed by another event."""
    for token in doc:
        if token.lower_ != "eve":
            continue
        of = next((c for c in token.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        if of is None:
            continue
        start = token.left_edge.idx
        end = of.right_edge.idx + len(of.right_edge)
        if not any(_overlaps((start, end), other) for other in taken):
            yield start, end


def clause_tense(span: SpacySpan) -> Tense:
    """Past, present or future, from the verb that governs the expression."""
    return _governing_tense(span)[0]


def _governing_tense(span: SpacySpan) -> tuple[Tense, Token, bool]:
    """The tense of the verb that governs the expression, that verb, and whether it is direct.

    Non-finite verbs ("to pay", "visiting") take the tense of the clause they depend on:
    "is expected to pay a visit Monday" is future, "was willing to skip class Thursday" is past.
    The tense is *direct* when the expression hangs on the verb itself ("met on Feb. 9",
    "arrives Monday") and indirect when it modifies a noun on the way ("announced the nominees
    for the Feb. 9 ceremony"): the verb then dates the announcement, not the ceremony.
    """
    word: Token = span.root
    direct = True
    for _ in range(8):
        while word.pos_ not in ("VERB", "AUX") and word.head.i != word.i:
            if word.i not in range(span.start, span.end) and word.pos_ in _NOMINAL:
                direct = False
            word = word.head
        if word.pos_ not in ("VERB", "AUX"):
            word = span.sent.root
            direct = False
        tense = _own_tense(word)
        if tense is not None:
            return tense, word, direct
        if word.head.i == word.i:
            break
        word = word.head
    return "present", word, direct


def year_tense(span: SpacySpan) -> tuple[Tense, Tense]:
    """The tense of the expression's clause, and the direction in which to impute a missing year.

    A careful reader dates "Feb. 9" in a 20 January article to the nearest 9 February unless
    the sentence points one way: a verb the date hangs on ("said on Dec. 20", "will open on
    Feb. 9") or a cue of its clause ("next month", "upcoming", "last week"). A tense that only
    reaches the date through a noun, or a future seen from the past ("had been scheduled for"),
    leaves the nearest year.
    """
    tense, verb, direct = _governing_tense(span)
    if direct and tense != "present":
        return tense, tense
    return tense, _cue_direction(verb.subtree, span) or "present"


def _cue_direction(tokens: Iterable[Token], span: SpacySpan) -> Tense | None:
    """ "next month", "upcoming", "later this week" (future) or "last week", "ago" (past)."""
    words = " ".join(t.lower_ for t in tokens if not span.start <= t.i < span.end)
    future = bool(_FUTURE_CUES.search(words))
    past = bool(_PAST_CUES.search(words))
    if future == past:
        return None
    return "future" if future else "past"


def _own_tense(word: Token) -> Tense | None:
    """The tense a verb carries itself, or None for a non-finite verb."""
    auxes = [c for c in word.children if c.dep_ in ("aux", "auxpass")]
    if any(a.lower_ in _FUTURE_MODALS for a in auxes):
        return "future"
    if word.tag_ == "MD":
        return "future" if word.lower_ in _FUTURE_MODALS else "present"
    head = word.head
    if any(a.lower_ == "to" for a in auxes) and head.lemma_ == "be" and head.tag_ in ("VBZ", "VBP"):
        return "future"  # "the referendum is to be held"
    expects = word.lemma_ in _FUTURE_HEADS and word.tag_ != "VBD"
    if expects and (word.tag_ == "VBN" or any(c.dep_ == "xcomp" for c in word.children)):
        if any(a.lower_ in _PAST_FINITE for a in auxes):
            return "present"  # "had been scheduled for", "was expected to": either side of now
        return "future"  # "is expected to", "is set for", "plans to"
    if word.lemma_ == "go" and word.tag_ == "VBG" and any(c.dep_ == "xcomp" for c in word.children):
        return "future"
    if word.tag_ == "VBD" or any(a.lower_ in _PAST_AUX for a in auxes):
        return "past"
    if word.tag_ in ("VBZ", "VBP") or any(a.tag_ in ("VBZ", "VBP") for a in auxes):
        return "present"
    return None

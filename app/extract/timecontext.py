"""The context that decides how a careful reader takes a date expression.

- A bare four-digit number is a year only in temporal context ("in 1917", "since 1990", "the
  2016 referendum", "2019 was ..."); one that names a work or a product ("the film 1917",
  "Mendes's 1917", "\u201c1917\u201d", "Windows 2000") or a clock time ("2100 GMT") is not.
- Relative words ("yesterday", "last week", "on Monday") inside a direct quote or a caption
  count from the day the words were spoken or the photo taken, which need not be the
  publication date: they are flagged rather than silently anchored to it.
"""

from __future__ import annotations

import re

from spacy.tokens import Span as SpacySpan
from spacy.tokens import Token

from app.extract.timevalues import MONTH_RE
from app.extract.types import Zone

# Nouns for works and named instruments: a number right after one names it ("the album 1989").
WORK_NOUNS = {
    "film", "movie", "picture", "album", "song", "single", "ep", "book", "novel",
    "memoir", "play", "musical", "opera", "show", "series", "sitcom", "documentary", "game",
    "videogame", "track", "poem", "painting", "epic", "thriller", "drama", "comedy",
    "blockbuster", "act", "directive", "law", "regulation", "bill",
}  # fmt: skip
# Words before a year that make it a point or stretch of time.
_TEMPORAL_BEFORE = {
    "in", "since", "by", "until", "till", "til", "from", "before", "after", "during", "through",
    "throughout", "to", "into", "between", "of", "circa", "c.", "ca.", "around", "about", "for",
    "with", "than", "compared",
    "early", "late", "mid", "mid-", "year", "fiscal", "fy", "spring", "summer", "autumn", "fall",
    "winter",
}  # fmt: skip
# Verbs whose subject can be a year: "2019 was a hard year", "2020 saw ...".
_YEAR_SUBJECT_VERBS = {"be", "see", "bring", "mark", "begin", "end", "prove", "become", "witness"}
_CLOCK_AFTER = {"gmt", "utc", "bst", "cet", "est", "edt", "et", "pt", "pst", "hours", "hrs", "h"}
_QUOTE_MARKS = "\"\u201c\u201d\u2018\u2019'\u00ab\u00bb"
_POSSESSIVE_TAGS = {"POS", "PRP$"}


def is_bare_year(tokens: SpacySpan) -> bool:
    """One token of four digits, nothing else: the case that needs its context read."""
    return len(tokens) == 1 and bool(re.fullmatch(r"\d{4}", tokens[0].text))


def year_in_context(number: Token) -> bool:
    """Whether a bare four-digit number reads as a year where it stands."""
    if _names_something(number):
        return False
    return _temporal(number, depth=0)


def _names_something(number: Token) -> bool:
    doc = number.doc
    text = doc.text
    before = text[number.idx - 1] if number.idx > 0 else ""
    after_index = number.idx + len(number)
    after = text[after_index] if after_index < len(text) else ""
    if before in _QUOTE_MARKS and after in _QUOTE_MARKS + ",.":
        return True  # "1917", \u201c1917\u201d
    following = doc[number.i + 1] if number.i + 1 < len(doc) else None
    if following is not None and following.lower_ in _CLOCK_AFTER:
        return True  # "2100 GMT": a clock time
    previous = _previous_word(number)
    if previous is None:
        return False
    if previous.lemma_.lower() in WORK_NOUNS:
        return True  # "the film 1917", "Directive 2000"
    if previous.tag_ in _POSSESSIVE_TAGS and not _modifies_noun(number):
        return True  # "Mendes's 1917 won", "his 1989": a work of someone
    return (
        previous.pos_ == "PROPN"
        and previous.is_title
        and not previous.is_sent_start
        and (previous.ent_type_ not in ("DATE", "TIME"))
    )  # "Windows 2000", "Euro 2020": a name that ends in a number


def _temporal(number: Token, depth: int) -> bool:
    previous = _previous_word(number, skip={"the", "early", "late", "mid", "mid-"})
    if previous is not None and previous.lower_ in _TEMPORAL_BEFORE:
        return True
    doc = number.doc
    if number.i > 0 and doc[number.i - 1].text == "(":
        return True  # "Titanic (1997)"
    if _modifies_noun(number):
        return True  # "the 2016 referendum", "Capra's 1946 movie", "2003 World Championships"
    following = doc[number.i + 1] if number.i + 1 < len(doc) else None
    if following is not None and following.tag_ == "POS":
        return True  # "2003's deficit"
    if previous is not None and previous.lower_ in ("a", "an", "the") and following is not None:
        return following.is_alpha and following.pos_ != "VERB"  # "a 2009 retelling"
    head = number.head
    if number.dep_ in ("nsubj", "nsubjpass") and head.lemma_ in _YEAR_SUBJECT_VERBS:
        return True
    if number.dep_ in ("attr", "appos") and head.lemma_ in ("year", "be"):
        return True  # "the year was 1917"
    if depth < 3 and number.dep_ in ("conj", "appos") and is_year_like(head):
        return _temporal(head, depth + 1)  # "in 1990, 1994 and 1998"
    after = doc[number.i + 2] if number.i + 2 < len(doc) else None
    if depth < 3 and following is not None and following.lower_ in ("and", "or", "to"):
        # "restate 2000 and 2003 results": a year coordinated with one in temporal context
        return after is not None and is_year_like(after) and _temporal(after, depth + 1)
    return False


def is_year_like(token: Token) -> bool:
    return bool(re.fullmatch(r"\d{4}", token.text))


def _modifies_noun(number: Token) -> bool:
    head = number.head
    return (
        number.dep_ in ("nummod", "compound", "amod", "nmod", "npadvmod", "quantmod")
        and head.i > number.i
        and head.pos_ in ("NOUN", "PROPN")
    )


def _previous_word(token: Token, skip: set[str] | None = None) -> Token | None:
    i = token.i - 1
    while i >= 0 and (token.doc[i].is_punct or (skip and token.doc[i].lower_ in skip)):
        if token.doc[i].text in ("(", ",", ";", ":"):
            return None
        i -= 1
    return token.doc[i] if i >= 0 else None


# --- relative words reported from another day ---------------------------------------------

_DEICTIC = re.compile(
    r"\b(?:today|tonight|yesterday|tomorrow|now|ago|last|next|this|past|coming|recent"
    r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b",
    re.IGNORECASE,
)
_OPENING = "\u201c\u00ab"
_CLOSING = "\u201d\u00bb"


def is_deictic(text: str) -> bool:
    """Counted from the day of speaking: "yesterday", "last week", "Monday", "two days ago"."""
    return (
        bool(_DEICTIC.search(text))
        and not re.search(r"\d", text)
        and not MONTH_RE.search(text.lower())
    )


def quoted_ranges(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of the direct quotes of a text, straight or curly marks."""
    ranges: list[tuple[int, int]] = []
    for match in re.finditer(rf"[{_OPENING}][^{_CLOSING}]*[{_CLOSING}]", text):
        ranges.append((match.start(), match.end()))
    for match in re.finditer(r'"[^"\n]*"', text):
        ranges.append((match.start(), match.end()))
    return ranges


def reported_from_another_day(
    zone: Zone, start: int, end: int, quotes: list[tuple[int, int]]
) -> bool:
    """A caption, or a direct quote: its relative words may not count from publication."""
    if zone == "caption":
        return True
    return any(q_start < start and end < q_end for q_start, q_end in quotes)

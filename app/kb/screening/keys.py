"""The forms a name is compared in, strictest first: each names a reason for a match.

| reason            | two names agree when...                                          |
|-------------------|------------------------------------------------------------------|
| `exact`           | they are the same text (spaces aside)                            |
| `folded`          | they agree once case, accents and punctuation are folded away    |
| `transliteration` | they agree once both are transliterated to ASCII (`anyascii`)    |
| `token_order`     | they hold the same words in another order ("Putin Vladimir")     |
| `initials`        | one abbreviates the other ("V. Putin"; "NATO" for an org)        |
| `edit_distance`   | their words, sorted, are within a few edits (`rapidfuzz`)        |
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

Reason = str
EXACT, FOLDED, TRANSLITERATION, TOKEN_ORDER, INITIALS, EDIT_DISTANCE = (
    "exact",
    "folded",
    "transliteration",
    "token_order",
    "initials",
    "edit_distance",
)
REASONS = (EXACT, FOLDED, TRANSLITERATION, TOKEN_ORDER, INITIALS, EDIT_DISTANCE)
# The score of each reason but the last, whose score is the similarity itself, at most 0.9.
SCORES = {EXACT: 1.0, FOLDED: 0.97, TRANSLITERATION: 0.95, TOKEN_ORDER: 0.92, INITIALS: 0.85}
EDIT_DISTANCE_CAP = 0.9
# Words an organization's initials skip: "Organization of the Petroleum Exporting Countries".
ACRONYM_SKIPS = frozenset({"of", "the", "and", "for", "in", "on", "de", "des", "du", "la", "le"})


def exact_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


_NON_WORD = re.compile(r"[^\w\s-]+")
_SPACES = re.compile(r"[\s_-]+")
_LEADING_THE = re.compile(r"^the\s+")


def folded_key(text: str) -> str:
    """Case, accents, punctuation and a leading "the" folded away.

    The alias key of ``app.kb.normalize`` less one rule: it drops a leading "a" or "an" too,
    which here would drop the initial of "A. Smith" (and "An" is a given name).
    """
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    text = _SPACES.sub(" ", _NON_WORD.sub("", text.casefold())).strip()
    return _LEADING_THE.sub("", text)


def ascii_key(text: str) -> str:
    """The folded key of the ASCII transliteration: "Лукашенко" → "lukashenko"."""
    return folded_key(text if text.isascii() else anyascii(text))


def sorted_key(ascii_form: str) -> str:
    return " ".join(sorted(ascii_form.split()))


def is_abbreviated(tokens: list[str]) -> bool:
    """A person's name whose given names are initials: "v putin", "j r r tolkien"."""
    if len(tokens) < 2 or len(tokens[0]) > 3:  # the common case, "vladimir putin", at once
        return False
    given = tokens[:-1]
    return all(len(t) <= 3 and t.isalpha() for t in given) and any(len(t) == 1 for t in given)


def initials_keys(tokens: list[str]) -> set[str]:
    """The abbreviations of a person's full name: first initial + surname, all initials +
    surname ("vladimir vladimirovich putin" → "v putin", "vv putin")."""
    if len(tokens) < 2:
        return set()
    given, surname = tokens[:-1], tokens[-1]
    return {f"{given[0][0]} {surname}", "".join(t[0] for t in given) + " " + surname}


def abbreviation_key(tokens: list[str]) -> str:
    """An abbreviated name's own key: "v putin" → "v putin", "j r r tolkien" → "jrr tolkien"."""
    return "".join(t if len(t) == 1 else t[0] for t in tokens[:-1]) + " " + tokens[-1]


def acronym(tokens: list[str]) -> str | None:
    """An organization's initials, when it has two words or more that count."""
    words = [t for t in tokens if t not in ACRONYM_SKIPS]
    return "".join(w[0] for w in words) if len(words) >= 2 else None


def blocking_keys(ascii_form: str) -> set[str]:
    """What a fuzzy candidate must share with the query: a word, or a word's first or last
    three letters (a typo rarely hits both ends of a word)."""
    keys: set[str] = set()
    for token in ascii_form.split():
        if len(token) < 2:
            continue
        keys.add("w:" + token)
        if len(token) >= 4:
            keys.add("p:" + token[:3])
            keys.add("s:" + token[-3:])
    return keys

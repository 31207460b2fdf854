"""People whom the small NER model types as organizations or places ("Alistair Cragg" → ORG).

A name of two or three capitalized words whose first word is a common given name (the
gender-guesser first-name dictionary), whose last word is not a known given name too ("Morgan
Stanley") and which holds no organization or place word is a person.
"""

from __future__ import annotations

from functools import cache

from gender_guesser.detector import Detector

_GIVEN = frozenset({"male", "female", "mostly_male", "mostly_female"})
_NOT_PERSON_WORDS = frozenset(
    "company co corp corporation inc ltd llc plc group bank university college school institute "
    "party club team fc united city county parish state province district street avenue road "
    "square station airport port center centre hall house tower bridge park river lake valley "
    "mountain island islands bay beach hospital church cathedral museum foundation fund "
    "council committee agency ministry department court army navy force forces storm hurricane "
    "typhoon cyclone tech motors airlines airways records studios media news times post "
    "press network capital partners holdings energy oil games cup prize award".split()
)


@cache
def _detector() -> Detector:
    return Detector(case_sensitive=False)


def _is_given_name(word: str) -> bool:
    return _detector().get_gender(word) in _GIVEN


def looks_like_person(text: str) -> bool:
    """True for "Ulf Danielsson", "Carolina Kluft"; False for "Jefferson Parish", "Morgan
    Stanley", one-word names and anything not written as a name."""
    parts = text.split()
    if not 2 <= len(parts) <= 3:
        return False
    if not all(p[:1].isupper() and p.replace("-", "").replace("'", "").isalpha() for p in parts):
        return False
    if any(p.lower() in _NOT_PERSON_WORDS for p in parts):
        return False
    return _is_given_name(parts[0]) and not _is_given_name(parts[-1])

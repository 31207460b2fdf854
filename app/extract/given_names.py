"""People whom the small NER model types as organizations or places ("Alistair Cragg" → ORG).

A name of two or three capitalized words whose first word is a common given name (the public
domain 1990 US Census first-name lists plus a short curated supplement for names frequent in
international news, in ``patterns/given_names.txt``), whose last word is not a known given
name too ("Morgan Stanley") and which holds no organization or place word is a person.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal, cast

GIVEN_NAMES_FILE = Path(__file__).parent / "patterns" / "given_names.txt"
GENDERED_NAMES_FILE = Path(__file__).parent / "patterns" / "given_names_gender.tsv"
Gender = Literal["f", "m"]
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
def _given_names() -> frozenset[str]:
    lines = GIVEN_NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def is_given_name(word: str) -> bool:
    return word.casefold() in _given_names()


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
    return is_given_name(parts[0]) and not is_given_name(parts[-1])


@cache
def _genders() -> dict[str, Gender]:
    rows = GENDERED_NAMES_FILE.read_text(encoding="utf-8").splitlines()
    pairs = (row.split("\t") for row in rows if row and not row.startswith("#"))
    return {name: cast(Gender, gender) for name, gender in pairs}


def given_name_gender(word: str) -> Gender | None:
    """ "f" or "m" for a given name that is nearly always one or the other, else None."""
    return _genders().get(word.casefold())

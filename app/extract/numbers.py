"""Read numbers written in digits or words: "1,200", "3.5bn", "two hundred", "thousands"."""

from __future__ import annotations

import math
import re
from functools import lru_cache

SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "half": 0.5,
}  # fmt: skip
MULTIPLIERS = {
    "hundred": 1e2, "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "mln": 1e6, "m": 1e6,
    "billion": 1e9, "bn": 1e9, "bln": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12, "tr": 1e12,
    "dozen": 12, "lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "crore": 1e7, "crores": 1e7, "cr": 1e7,
}  # fmt: skip
# "thousands of", "dozens of": a vague count, read as its unit with a lower confidence.
VAGUE = {
    "dozens": 12, "scores": 20, "hundreds": 100, "thousands": 1e3, "tens of thousands": 1e4,
    "hundreds of thousands": 1e5, "millions": 1e6, "tens of millions": 1e7,
    "hundreds of millions": 1e8, "billions": 1e9,
}  # fmt: skip
HEDGES = re.compile(
    r"^(?:about|around|approximately|roughly|nearly|almost|some|over|under|more than|less than|"
    r"fewer than|up to|at least|at most|as many as|as much as|as few as|an estimated|estimated|"
    r"just over|just under|well over|close to|upwards of|only|just|the|a total of|a further|"
    r"another|an additional|additional|a|an)\s+"
)
_DIGITS = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+")


@lru_cache(maxsize=4096)
def parse_number(text: str) -> float | None:
    """The value of a number phrase, or None; multipliers may be words or suffixes ("3.5bn")."""
    t = text.lower().replace("\u00a0", " ").replace("-", " ").strip()
    while (m := HEDGES.match(t)) and m.end() < len(t):
        t = t[m.end() :]
    if t in VAGUE:
        return float(VAGUE[t])
    t = re.sub(r"(?<=\d)(?=[a-z])", " ", t)  # "3.5bn" -> "3.5 bn"
    words = [w for w in re.split(r"\s+|(?<=[^\d,.]),", t) if w and w != "and"]
    if not words:
        return None
    total, current, seen = 0.0, 0.0, False
    for word in words:
        if _DIGITS.fullmatch(word):
            if seen and current:
                return None  # two numbers in a row: "3 4"
            current += float(word.replace(",", ""))
            seen = True
        elif word in SMALL and word not in ("a", "an"):
            current += SMALL[word]
            seen = True
        elif word in MULTIPLIERS and (seen or len(word) > 2):
            seen = True
            factor = MULTIPLIERS[word]
            if factor >= 1e3:
                total += (current or 1) * factor
                current = 0.0
            else:
                current = (current or 1) * factor
        else:
            return None
    value = total + current
    return value if seen and math.isfinite(value) else None  # 400 nines overflow to inf

"""Normalize one date expression (already cut out of a sentence) against an anchor date and a tense.

Relative expressions ("Monday", "last week", "two days ago") are resolved by our own rules
(``timerules``); calendar dates with month names or digits are parsed by dateparser, and when the
year is not written we choose it from the tense (future: next occurrence, past: last one,
present: nearest).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from functools import lru_cache

from dateparser.date import DateDataParser

from app.extract import timerules as rules
from app.extract.timevalues import (
    MONTH_RE,
    MONTHS,
    PART_OF_DAY,
    WEEKDAYS,
    YEAR_WRITTEN,
    Resolved,
    Tense,
    clean,
    day,
    month,
    pick,
    unresolved,
    year,
)
from app.extract.types import Precision

_SIGNAL = re.compile(
    r"^(?:on|in|at|during|by|since|until|till|before|after|around|about|circa|as of|of|"
    r"from|as early as|no later than|sometime|some time|throughout|over)\s+"
)
_FUZZY_MODIFIER = re.compile(
    r"^(?:(?:the\s+)?(?:early|late|mid|middle|end|beginning|start|turn|close|first half|"
    r"second half|latter half|latter part|later part|earlier part|remainder|rest)"
    r"(?:\s+part)?(?:\s+of)?[\s-]+(?:the\s+)?)"
)


def normalize(text: str, anchor: date | None, tense: Tense = "present") -> Resolved | None:
    """Resolve ``text``; None when it is not a date at all (a duration such as "seven hours").

    Also None when the date falls outside years 1 to 9999, where ``datetime.date`` raises: a
    year 0 written ("Q1 0000"), or an anchor at the calendar's edge ("next year" in 9999).
    """
    try:
        return _normalize(clean(text), anchor, tense)
    except (OverflowError, ValueError):
        return None


@lru_cache(maxsize=4096)
def _normalize(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    if not t:
        return None
    ranged = _range(t, anchor, tense)
    if ranged is not None:
        return ranged
    ago = rules.ago(t, anchor, tense)
    if ago is not None:
        return ago
    t = _SIGNAL.sub("", t)
    modified = _FUZZY_MODIFIER.match(t)
    if modified and modified.end() < len(t):
        core_text = t[modified.end() :]
        if core_text in ("week", "month", "year", "decade"):
            core_text = "this " + core_text
        core = _normalize(core_text, anchor, tense)
        if core is None:
            return None
        return replace(core, confidence=round(core.confidence * 0.9, 2))
    for rule in _RULES:
        result = rule(t, anchor, tense)
        if result is not None:
            return result
    return None


def _range(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    years = re.fullmatch(
        r"(?:from |between )?(\d{4})\s*(?:-|–|—|/|to|and|until|through)\s*(\d{2}|\d{4})", t
    )
    if years:
        first = int(years[1])
        last = int(years[2]) if len(years[2]) == 4 else first // 100 * 100 + int(years[2])
        if first < last <= first + 100:
            value = f"{first:04d}/{last:04d}"
            return Resolved(value, "year", date(first, 1, 1), date(last, 12, 31))
        return None
    days = re.fullmatch(
        rf"(?:from |between )?({MONTHS})\.? (\d{{1,2}})\s*(?:-|–|to|and)\s*(\d{{1,2}})"
        r"(,? \d{4})?",
        t,
    )
    days = days or re.fullmatch(
        rf"(?:from |between )?(\d{{1,2}})\s*(?:-|–|to|and)\s*(\d{{1,2}}) ({MONTHS})\.?"
        r"(,? \d{4})?",
        t,
    )
    if days:
        groups: tuple[str, ...] = days.groups()
        month_name, first_day, last_day = groups[0], groups[1], groups[2]
        if not month_name[0].isalpha():
            first_day, last_day, month_name = groups[0], groups[1], groups[2]
        tail = groups[3] or ""
        return _join(
            f"{month_name} {first_day}{tail}", f"{month_name} {last_day}{tail}", anchor, tense
        )
    parts = re.fullmatch(
        r"(?:from |between )?(.+?)(?: to | until | till | through | and |\s*[–—]\s*| - )(.+)", t
    )
    if parts and (t.startswith(("from ", "between ")) or "and" not in t.split()):
        return _join(parts[1], parts[2], anchor, tense)
    return None


def _join(left: str, right: str, anchor: date | None, tense: Tense) -> Resolved | None:
    """A range: the first end takes its year from the second when it has none of its own."""
    last = _normalize(clean(right), anchor, tense)
    if not last or not last.value or not last.start or not last.end or "/" in last.value:
        return None
    first = None
    if MONTH_RE.search(left) and not YEAR_WRITTEN.search(left):
        for year_ in (last.start.year, last.start.year - 1):
            first = _normalize(clean(f"{left} {year_}"), anchor, tense)
            if first and first.start and first.start <= last.start:
                first = replace(first, imputed=last.imputed)
                break
    else:
        first = _normalize(clean(left), anchor, tense)
    if not first or not first.value or not first.start or "/" in first.value:
        return None
    if first.start > last.end:
        return None
    value = f"{first.value}/{last.value}"
    return Resolved(value, first.precision, first.start, last.end, first.imputed, confidence=0.9)


_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{2}):(\d{2}))?")
_NUMERIC = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})")


def _calendar(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    """Dates with a month name or in digits, parsed by dateparser."""
    iso = _ISO.fullmatch(t)
    if iso:
        try:
            d = date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            return None
        if iso[4]:
            return Resolved(f"{d.isoformat()}T{iso[4]}:{iso[5]}", "datetime", d, d)
        return day(d)
    numeric = _NUMERIC.fullmatch(t)
    if not MONTH_RE.search(t) and not numeric:
        return None
    weekday_names = [w for w in WEEKDAYS if re.search(rf"\b{w[:3]}[a-z]*\b\.?", t)]
    core = re.sub(rf"\b(?:{'|'.join(w[:3] for w in WEEKDAYS)})[a-z]*\b\.?,?", " ", t)
    core = re.sub(r"\b(?:the|of|on|in)\b|(?<=\d)(?:st|nd|rd|th)\b", " ", core)
    core = re.sub(rf"\b{PART_OF_DAY}\b", " ", core)
    core = re.sub(r"\s+", " ", core).strip(" ,")
    parsed = _dateparse(core)
    if parsed is None:
        return None
    when, period = parsed
    precision: Precision = {"day": "day", "month": "month", "year": "year"}.get(period, "day")  # type: ignore[assignment]
    ambiguous = bool(
        numeric and int(numeric[1]) <= 12 and int(numeric[2]) <= 12 and numeric[1] != numeric[2]
    )
    if YEAR_WRITTEN.search(core):
        if precision == "month":
            return month(when.year, when.month, ambiguous=ambiguous)
        if precision == "year":
            return year(when.year)
        return day(when.date(), ambiguous=ambiguous)
    if anchor is None:
        return unresolved(precision)
    if precision == "month":
        starts = [date(anchor.year + k, when.month, 1) for k in (-1, 0, 1)]
        this_month = anchor.replace(day=1)
        chosen = this_month if this_month in starts else pick(starts, this_month, tense)
        return month(chosen.year, chosen.month, imputed=True, confidence=0.9)
    candidates = []
    for k in (-1, 0, 1):
        try:
            candidates.append(date(anchor.year + k, when.month, when.day))
        except ValueError:  # 29 February
            continue
    if weekday_names:
        matching = [c for c in candidates if WEEKDAYS[c.weekday()] in weekday_names]
        candidates = matching or candidates
    if not candidates:
        return None
    return day(pick(candidates, anchor, tense), imputed=True, ambiguous=ambiguous, confidence=0.9)


@lru_cache(maxsize=1)
def _parser() -> DateDataParser:
    settings = {
        "RELATIVE_BASE": datetime(2000, 1, 1),  # the year is chosen by us when it is not written
        "PREFER_DATES_FROM": "current_period",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first",
        "DATE_ORDER": "MDY",
    }
    return DateDataParser(languages=["en"], settings=settings)


@lru_cache(maxsize=8192)
def _dateparse(text: str) -> tuple[datetime, str] | None:
    data = _parser().get_date_data(text)
    if data.date_obj is None:
        return None
    return data.date_obj, data.period or "day"


_RULES = (*rules.RELATIVE_RULES, _calendar, rules.event_relative)

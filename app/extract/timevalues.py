"""The normal form of a date expression and the calendar arithmetic the rules share."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from app.extract.types import Precision

Tense = Literal["past", "present", "future"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ABBR = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3}
_WEEKDAY_ABBR |= {"fri": 4, "sat": 5, "sun": 6}
MONTHS = r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
MONTHS += r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
MONTH_RE = re.compile(rf"\b(?:{MONTHS})\b\.?")
YEAR_WRITTEN = re.compile(r"\b(?:1[0-9]|20|21)\d\d\b|'\d\d\b")
PART_OF_DAY = r"(?:morning|afternoon|evening|night|overnight|midday|noon|daytime)"
UNITS = {"day": "day", "week": "week", "month": "month", "year": "year", "decade": "decade"}


@dataclass(frozen=True, slots=True)
class Resolved:
    """The normal form of one date expression; ``value`` is None when it cannot be resolved."""

    value: str | None
    precision: Precision
    start: date | None = None
    end: date | None = None
    imputed: bool = False
    ambiguous: bool = False
    confidence: float = 1.0


def day(d: date, precision: Precision = "day", **kw: object) -> Resolved:
    return Resolved(d.isoformat(), precision, d, d, **kw)  # type: ignore[arg-type]


def month(year: int, month_: int, precision: Precision = "month", **kw: object) -> Resolved:
    last = date(year, month_, calendar.monthrange(year, month_)[1])
    return Resolved(f"{year:04d}-{month_:02d}", precision, date(year, month_, 1), last, **kw)  # type: ignore[arg-type]


def year(year_: int, precision: Precision = "year", **kw: object) -> Resolved:
    return Resolved(f"{year_:04d}", precision, date(year_, 1, 1), date(year_, 12, 31), **kw)  # type: ignore[arg-type]


def interval(start: date, end: date, precision: Precision, **kw: object) -> Resolved:
    return Resolved(f"{start.isoformat()}/{end.isoformat()}", precision, start, end, **kw)  # type: ignore[arg-type]


def month_interval(start: date, end: date, precision: Precision, **kw: object) -> Resolved:
    last = date(end.year, end.month, calendar.monthrange(end.year, end.month)[1])
    value = f"{start.year:04d}-{start.month:02d}/{end.year:04d}-{end.month:02d}"
    return Resolved(value, precision, start.replace(day=1), last, **kw)  # type: ignore[arg-type]


def unresolved(precision: Precision = "fuzzy", confidence: float = 0.3) -> Resolved:
    return Resolved(None, precision, confidence=confidence)


def week_of(d: date) -> tuple[date, date]:
    """The ISO (Monday to Sunday) week that contains ``d``."""
    monday = d - timedelta(days=d.weekday())
    return monday, monday + timedelta(days=6)


def fits(anchor: date, *, days: int = 0, months: int = 0) -> bool:
    """Whether ``anchor`` moved by ``days`` and ``months`` stays inside years 1 to 9999."""
    if not date.min.toordinal() <= anchor.toordinal() + days <= date.max.toordinal():
        return False
    return date.min.year <= (anchor.year * 12 + anchor.month - 1 + months) // 12 <= date.max.year


def add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    y, m = divmod(index, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def pick(candidates: list[date], anchor: date, tense: Tense) -> date:
    """The candidate the tense points to: next (future), last (past) or nearest (present)."""
    if tense == "future":
        later = [c for c in candidates if c >= anchor]
        if later:
            return min(later)
    if tense == "past":
        earlier = [c for c in candidates if c <= anchor]
        if earlier:
            return max(earlier)
    return min(candidates, key=lambda c: (abs((c - anchor).days), c < anchor))


def clean(text: str) -> str:
    t = text.lower().replace("’", "'").replace("‘", "'").replace("\u2011", "-")
    t = re.sub(r"\s+", " ", t).strip(' ,.;:()[]"')
    return re.sub(r"'s$", "", t).strip()

"""Normalize one date expression (already cut out of a sentence) against an anchor date and a tense.

Relative expressions ("Monday", "last week", "two days ago") are resolved by our own rules;
calendar dates with month names or digits are parsed by dateparser, and when the year is not
written we choose it from the tense (future: next occurrence, past: last one, present: nearest).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

from dateparser.date import DateDataParser
from dateutil.easter import easter

from app.extract.numbers import parse_number
from app.extract.types import Precision

Tense = Literal["past", "present", "future"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ABBR = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3}
_WEEKDAY_ABBR |= {"fri": 4, "sat": 5, "sun": 6}
MONTHS = r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
MONTHS += r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
_MONTH_RE = re.compile(rf"\b(?:{MONTHS})\b\.?")
_YEAR_WRITTEN = re.compile(r"\b(?:1[0-9]|20|21)\d\d\b|'\d\d\b")
_PART_OF_DAY = r"(?:morning|afternoon|evening|night|overnight|midday|noon|daytime)"
_UNITS = {"day": "day", "week": "week", "month": "month", "year": "year", "decade": "decade"}
_SEASONS = {
    "spring": (3, 5),
    "summer": (6, 8),
    "autumn": (9, 11),
    "fall": (9, 11),
    "winter": (12, 2),
}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3}
_ORDINALS |= {"4th": 4, "last": 4, "final": 4}
_FIXED_HOLIDAYS = {
    "new year's day": (1, 1),
    "new year's eve": (12, 31),
    "valentine's day": (2, 14),
    "christmas": (12, 25),
    "christmas day": (12, 25),
    "christmas eve": (12, 24),
    "boxing day": (12, 26),
    "halloween": (10, 31),
}
_EASTER_OFFSETS = {"easter": 0, "easter sunday": 0, "good friday": -2, "easter monday": 1}
# Expressions whose date depends on another event in the text, not on the publication date.
_EVENT_RELATIVE = re.compile(
    r"^(?:the|that|this)\s+(?:same|following|previous|next|preceding|prior)\s+"
    r"(?:day|week|month|year|morning|night|evening|weekend)$"
    r"|^(?:that|the)\s+(?:day|week|month|year|morning|night|evening|time)$"
    r"|^(?:\S+\s+)+(?:days?|weeks?|months?|years?)\s+(?:later|earlier|before|after|prior)$"
    r"|^(?:the\s+)?(?:day|night|week)\s+(?:before|after)$"
    r"|^(?:the\s+)?eve\b"
)
_RECENT = re.compile(r"^(?:in\s+)?recent\s+(?:days|weeks|months|years|decades|times)$")
_SIGNAL = re.compile(
    r"^(?:on|in|at|during|by|since|until|till|before|after|around|about|circa|as of|of|"
    r"from|as early as|no later than|sometime|some time|throughout|over)\s+"
)
_FUZZY_MODIFIER = re.compile(
    r"^(?:(?:the\s+)?(?:early|late|mid|middle|end|beginning|start|turn|close|first half|"
    r"second half|latter half|latter part|later part|earlier part|remainder|rest)"
    r"(?:\s+part)?(?:\s+of)?[\s-]+(?:the\s+)?)"
)


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


def normalize(text: str, anchor: date | None, tense: Tense = "present") -> Resolved | None:
    """Resolve ``text``; None when it is not a date at all (a duration such as "seven hours")."""
    return _normalize(clean(text), anchor, tense)


@lru_cache(maxsize=4096)
def _normalize(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    if not t:
        return None
    ranged = _range(t, anchor, tense)
    if ranged is not None:
        return ranged
    ago = _ago(t, anchor, tense)
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
            return Resolved(f"{first}/{last}", "year", date(first, 1, 1), date(last, 12, 31))
        return None
    days = re.fullmatch(
        rf"(?:from |between )?({MONTHS})\.? (\d{{1,2}})\s*(?:-|–|to|and)\s*(\d{{1,2}})(,? \d{{4}})?",
        t,
    )
    days = days or re.fullmatch(
        rf"(?:from |between )?(\d{{1,2}})\s*(?:-|–|to|and)\s*(\d{{1,2}}) ({MONTHS})\.?(,? \d{{4}})?",
        t,
    )
    if days:
        groups = days.groups()
        month_name, first, last = (groups[0], groups[1], groups[2])
        if not month_name[0].isalpha():
            first, last, month_name = groups[0], groups[1], groups[2]
        tail = groups[3] or ""
        return _join(f"{month_name} {first}{tail}", f"{month_name} {last}{tail}", anchor, tense)
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
    if _MONTH_RE.search(left) and not _YEAR_WRITTEN.search(left):
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


def _relative_day(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    offsets = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1, "last night": -1}
    offsets |= {"the day before yesterday": -2, "the day after tomorrow": 2, "now": 0}
    m = re.fullmatch(
        rf"(today|tonight|yesterday|tomorrow|last night|this {_PART_OF_DAY}|earlier today|later today"
        rf"|the day before yesterday|the day after tomorrow)(?: {_PART_OF_DAY})?",
        t,
    )
    if not m:
        return None
    if anchor is None:
        return unresolved("day")
    key = m[1].replace("earlier ", "").replace("later ", "")
    return day(anchor + timedelta(days=offsets.get(key, 0)))


def _weekday(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    m = re.fullmatch(
        rf"(?:(this|last|next|past|coming|this past|this coming|early|late) )?([a-z]+)\.?"
        rf"(?: ({_PART_OF_DAY}))?(?: of (this|last|next) week)?(?: ({_PART_OF_DAY}))?",
        t,
    )
    if not m:
        return None
    name = m[2]
    wd = WEEKDAYS.index(name) if name in WEEKDAYS else _WEEKDAY_ABBR.get(name)
    if wd is None:
        return None
    if anchor is None:
        return unresolved("day")
    modifier, week_word = m[1] or "", m[4]
    back = (anchor.weekday() - wd) % 7
    fwd = (wd - anchor.weekday()) % 7
    if week_word:
        monday = _week_start(anchor, week_word)
        return day(
            monday + timedelta(days=wd), ambiguous=anchor.weekday() == 6 and week_word != "this"
        )
    if modifier in ("last", "past", "this past"):
        return day(anchor - timedelta(days=back or 7), confidence=0.9)
    if modifier in ("next", "coming", "this coming"):
        return day(
            anchor + timedelta(days=fwd or 7), ambiguous=modifier == "next" and fwd < 7 and fwd <= 2
        )
    candidates = [anchor - timedelta(days=back), anchor + timedelta(days=fwd)]
    confidence = 0.7 if tense == "present" and fwd and back else 0.9
    return day(pick(candidates, anchor, tense), confidence=confidence)


def _week_start(anchor: date, which: str) -> date:
    """Monday of this/last/next week; on a Sunday "last week" is the week now ending."""
    monday = week_of(anchor)[0]
    sunday = anchor.weekday() == 6
    if which == "last":
        return monday if sunday else monday - timedelta(days=7)
    if which == "next":
        return monday + timedelta(days=7)
    return monday


def _relative_period(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    m = re.fullmatch(
        r"(?:(earlier|later|early|late) (?:this|in the|in this|this coming)|(this|last|next|past|"
        r"the past|the last|the coming|the current|the next|previous|the previous|this past|the)) "
        r"(week|weekend|month|year|decade)",
        t,
    )
    if not m:
        return None
    part, which, unit = m[1], m[2] or "this", m[3]
    if which == "the" and not part:
        return None
    if which in ("previous", "the previous", "the next"):
        return unresolved(_UNITS.get(unit, "week"))  # type: ignore[arg-type]
    if anchor is None:
        return unresolved(_UNITS.get(unit, "week"))  # type: ignore[arg-type]
    step = {"last": -1, "past": -1, "the past": -1, "the last": -1, "this past": -1, "next": 1}
    step |= {"the coming": 1}
    shift = step.get(which, 0)
    precision: Precision = "fuzzy" if part else _UNITS.get(unit, "week")  # type: ignore[assignment]
    if unit == "weekend":
        saturday = anchor + timedelta(days=(5 - anchor.weekday()) % 7)
        if shift < 0 or (shift == 0 and tense == "past" and anchor.weekday() < 5):
            saturday -= timedelta(days=7)
        if shift > 0 and anchor.weekday() >= 5:
            saturday += timedelta(days=7)
        return interval(saturday, saturday + timedelta(days=1), "week", confidence=0.8)
    if unit == "week":
        if shift == 0 and anchor.weekday() == 6 and (tense == "future" or part == "later"):
            shift = 1  # on a Sunday, "this week" in a future sentence is the one starting tomorrow
        monday = _week_start(anchor, {-1: "last", 1: "next"}.get(shift, "this"))
        start, end = monday, monday + timedelta(days=6)
        if part == "later" and shift == 0 and anchor < end:
            start = anchor + timedelta(days=1)
        elif part == "earlier" and start < anchor:
            end = anchor - timedelta(days=1)
        return interval(start, end, precision, ambiguous=anchor.weekday() == 6 and shift != 1)
    if unit == "month":
        d = add_months(anchor, shift)
        return month(d.year, d.month, precision)
    if unit == "decade":
        return unresolved("decade")
    return year(anchor.year + shift, precision)


def _ago(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    m = re.fullmatch(
        r"(?:(in|within) )?(.+?) (day|week|month|year)s?( ago| from now| later| earlier)?", t
    )
    if not m or not (m[1] == "in" or m[4] in (" ago", " from now")):
        return None
    n = parse_number(m[2])
    if n is None or n != int(n):
        return None
    if anchor is None:
        return unresolved(_UNITS[m[3]])  # type: ignore[arg-type]
    sign = -1 if m[4] == " ago" else 1
    unit, count = m[3], int(n) * sign
    if unit == "day":
        return day(anchor + timedelta(days=count))
    if unit == "week":
        return day(anchor + timedelta(days=7 * count), confidence=0.8)
    if unit == "month":
        d = add_months(anchor, count)
        return month(d.year, d.month, confidence=0.8)
    return year(anchor.year + count, confidence=0.8)


def _past_n(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    """ "the past two years": the interval that ends on the anchor."""
    m = re.fullmatch(r"(?:the |over the )?(?:past|last|previous) (.+?) (day|week|month|year)s", t)
    if not m or (n := parse_number(m[1])) is None or n != int(n):
        return None
    if anchor is None:
        return unresolved()
    days = {"day": 1, "week": 7}.get(m[2])
    if days:
        return interval(anchor - timedelta(days=days * int(n)), anchor, "fuzzy", confidence=0.7)
    months = int(n) * (12 if m[2] == "year" else 1)
    return interval(add_months(anchor, -months), anchor, "fuzzy", confidence=0.7)


def _decade(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    m = re.fullmatch(r"(?:the )?(early |mid |late |mid-)?'?(\d{2}|\d{4})'?s", t)
    if not m or not m[2].endswith("0"):
        return None
    first = int(m[2])
    if first < 100:
        base = 1900 if anchor is None else (anchor.year // 100) * 100
        first = (
            base + first
            if base + first <= (anchor.year if anchor else 2099)
            else base - 100 + first
        )
    if first % 10:
        return None
    if first % 100 == 0 and len(m[2]) == 4 and first < 2000:  # "the 1800s": a century, mostly
        end = first + 99
        return Resolved(
            f"{first}/{end}", "fuzzy", date(first, 1, 1), date(end, 12, 31), ambiguous=True
        )
    end = first + 9
    ambiguous = first % 100 == 0 and len(m[2]) == 4
    return Resolved(
        f"{first}/{end}", "decade", date(first, 1, 1), date(end, 12, 31), ambiguous=ambiguous
    )


def _century(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    m = re.fullmatch(r"(?:the )?(?:(early|mid|late)[ -])?(\d{1,2})(?:st|nd|rd|th) century", t)
    if not m:
        return None
    first = (int(m[2]) - 1) * 100
    if first < 1:
        return None
    return Resolved(f"{first}/{first + 99}", "fuzzy", date(first, 1, 1), date(first + 99, 12, 31))


def _quarter_or_season(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    quarter = re.fullmatch(
        r"(?:the )?(?:(this|last|next) )?(?:(first|second|third|fourth|final|last|1st|2nd|3rd|4th) "
        r"(?:fiscal )?quarter|q([1-4]))(?:(?: of)? (\d{4}))?",
        t,
    )
    season = re.fullmatch(
        r"(?:the )?(?:(this|last|next|this past|this coming) )?"
        r"(spring|summer|autumn|fall|winter)(?:(?: of)? (\d{4}))?",
        t,
    )
    if quarter:
        q = int(quarter[3]) if quarter[3] else _ORDINALS[quarter[2]]
        first_month, last_month, which, written, precision = (
            3 * q - 2,
            3 * q,
            quarter[1],
            quarter[4],
            "quarter",
        )
    elif season:
        first_month, last_month = _SEASONS[season[2]]
        which, written, precision = season[1], season[3], "season"
    else:
        return None
    if written:
        y = int(written)
        candidates_years = [y]
    elif anchor is None:
        return unresolved(precision)  # type: ignore[arg-type]
    else:
        candidates_years = [anchor.year - 1, anchor.year, anchor.year + 1]
    spans = []
    for y in candidates_years:
        end_year = y + 1 if last_month < first_month else y
        spans.append(
            (
                date(y, first_month, 1),
                add_months(date(end_year, last_month, 1), 1) - timedelta(days=1),
            )
        )
    if len(spans) == 1:
        start, end = spans[0]
    else:
        assert anchor is not None
        current = next((s for s in spans if s[0] <= anchor <= s[1]), None)
        step = {"last": -1, "this past": -1, "next": 1, "this coming": 1}.get(which or "", 0)
        if step == 0 and current is not None:
            start, end = current
        else:
            past = [s for s in spans if s[1] < anchor]
            future = [s for s in spans if s[0] > anchor]
            direction = step or {"past": -1, "future": 1}.get(tense, 0)
            if direction < 0 or (
                direction == 0
                and (not future or (past and anchor - past[-1][1] < future[0][0] - anchor))
            ):
                start, end = past[-1]
            else:
                start, end = future[0]
    imputed = not written and not which
    return month_interval(start, end, precision, imputed=imputed)  # type: ignore[arg-type]


def _holiday(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    m = re.fullmatch(r"(?:(this|last|next) )?([a-z' ]+?)(?: (\d{4}))?", t)
    if not m or (m[2] not in _FIXED_HOLIDAYS and m[2] not in _EASTER_OFFSETS):
        return None

    def on(y: int) -> date:
        if m[2] in _FIXED_HOLIDAYS:
            return date(y, *_FIXED_HOLIDAYS[m[2]])
        return easter(y) + timedelta(days=_EASTER_OFFSETS[m[2]])

    if m[3]:
        return day(on(int(m[3])))
    if anchor is None:
        return unresolved("day")
    tense = {"last": "past", "next": "future"}.get(m[1] or "", tense)  # type: ignore[assignment]
    return day(pick([on(anchor.year + k) for k in (-1, 0, 1)], anchor, tense), imputed=True)


def _year(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    m = re.fullmatch(
        r"(?:(?:fiscal|fy|the year|calendar year|the fiscal year|financial year)\s*)?(\d{4})", t
    )
    if not m or not 1000 <= int(m[1]) <= 2199:
        return None
    return year(int(m[1]))


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
    if not _MONTH_RE.search(t) and not numeric:
        return None
    weekday_names = [w for w in WEEKDAYS if re.search(rf"\b{w[:3]}[a-z]*\b\.?", t)]
    core = re.sub(rf"\b(?:{'|'.join(w[:3] for w in WEEKDAYS)})[a-z]*\b\.?,?", " ", t)
    core = re.sub(r"\b(?:the|of|on|in)\b|(?<=\d)(?:st|nd|rd|th)\b", " ", core)
    core = re.sub(rf"\b{_PART_OF_DAY}\b", " ", core)
    core = re.sub(r"\s+", " ", core).strip(" ,")
    parsed = _dateparse(core)
    if parsed is None:
        return None
    when, period = parsed
    precision: Precision = {"day": "day", "month": "month", "year": "year"}.get(period, "day")  # type: ignore[assignment]
    ambiguous = bool(
        numeric and int(numeric[1]) <= 12 and int(numeric[2]) <= 12 and numeric[1] != numeric[2]
    )
    if _YEAR_WRITTEN.search(core):
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


def _event_relative(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    if _EVENT_RELATIVE.search(t):
        unit = next((u for u in ("day", "week", "month", "year") if u in t), "day")
        return unresolved(_UNITS[unit] if unit != "day" else "day")  # type: ignore[arg-type]
    if _RECENT.fullmatch(t):
        return unresolved()
    return None


_RULES = (
    _relative_day,
    _weekday,
    _relative_period,
    _ago,
    _past_n,
    _decade,
    _century,
    _quarter_or_season,
    _holiday,
    _year,
    _calendar,
    _event_relative,
)

"""Rules for relative and calendar-free date expressions ("Monday", "last week", "the 1990s").

Each rule takes the cleaned expression, the anchor date and the tense of its clause, and returns
a ``Resolved``, or None when the expression is not its kind.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from dateutil.easter import easter

from app.extract.numbers import parse_number
from app.extract.timevalues import (
    PART_OF_DAY,
    UNITS,
    WEEKDAYS,
    Resolved,
    Tense,
    add_months,
    day,
    fits,
    interval,
    month,
    month_interval,
    pick,
    unresolved,
    week_of,
    year,
)
from app.extract.types import Precision

_WEEKDAY_ABBR = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3}
_WEEKDAY_ABBR |= {"fri": 4, "sat": 5, "sun": 6}
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


def relative_day(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    offsets = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1, "last night": -1}
    offsets |= {"the day before yesterday": -2, "the day after tomorrow": 2, "now": 0}
    m = re.fullmatch(
        rf"(today|tonight|yesterday|tomorrow|last night|this {PART_OF_DAY}|earlier today"
        r"|later today"
        rf"|the day before yesterday|the day after tomorrow)(?: {PART_OF_DAY})?",
        t,
    )
    if not m:
        return None
    if anchor is None:
        return unresolved("day")
    key = m[1].replace("earlier ", "").replace("later ", "")
    return day(anchor + timedelta(days=offsets.get(key, 0)))


def weekday(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    m = re.fullmatch(
        rf"(?:(this|last|next|past|coming|this past|this coming|early|late) )?([a-z]+)\.?"
        rf"(?: ({PART_OF_DAY}))?(?: of (this|last|next) week)?(?: ({PART_OF_DAY}))?",
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


def relative_period(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
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
        return unresolved(UNITS.get(unit, "week"))  # type: ignore[arg-type]
    if anchor is None:
        return unresolved(UNITS.get(unit, "week"))  # type: ignore[arg-type]
    step = {"last": -1, "past": -1, "the past": -1, "the last": -1, "this past": -1, "next": 1}
    step |= {"the coming": 1}
    shift = step.get(which, 0)
    precision: Precision = "fuzzy" if part else UNITS.get(unit, "week")  # type: ignore[assignment]
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


def ago(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    m = re.fullmatch(
        r"(?:(in|within) )?(.+?) (day|week|month|year)s?( ago| from now| later| earlier)?", t
    )
    if not m or not (m[1] == "in" or m[4] in (" ago", " from now")):
        return None
    n = parse_number(m[2])
    if n is None or n != int(n):
        return None
    if anchor is None:
        return unresolved(UNITS[m[3]])  # type: ignore[arg-type]
    sign = -1 if m[4] == " ago" else 1
    unit, count = m[3], int(n) * sign
    days = count * {"day": 1, "week": 7}.get(unit, 0)
    if not fits(anchor, days=days, months=count * {"month": 1, "year": 12}.get(unit, 0)):
        return unresolved(UNITS[unit])  # type: ignore[arg-type]  # "3000 years ago": before year 1
    if unit == "day":
        return day(anchor + timedelta(days=count))
    if unit == "week":
        return day(anchor + timedelta(days=7 * count), confidence=0.8)
    if unit == "month":
        d = add_months(anchor, count)
        return month(d.year, d.month, confidence=0.8)
    return year(anchor.year + count, confidence=0.8)


def past_n(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    """ "the past two years": the interval that ends on the anchor."""
    m = re.fullmatch(r"(?:the |over the )?(?:past|last|previous) (.+?) (day|week|month|year)s", t)
    if not m or (n := parse_number(m[1])) is None or n != int(n):
        return None
    if anchor is None:
        return unresolved()
    days = int(n) * {"day": 1, "week": 7}.get(m[2], 0)
    months = int(n) * {"month": 1, "year": 12}.get(m[2], 0)
    if not fits(anchor, days=-days, months=-months):
        return unresolved()  # "the past 3000 years": from before year 1
    if days:
        return interval(anchor - timedelta(days=days), anchor, "fuzzy", confidence=0.7)
    return interval(add_months(anchor, -months), anchor, "fuzzy", confidence=0.7)


def decade(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
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
            f"{first:04d}/{end:04d}", "fuzzy", date(first, 1, 1), date(end, 12, 31), ambiguous=True
        )
    end = first + 9
    ambiguous = first % 100 == 0 and len(m[2]) == 4
    value = f"{first:04d}/{end:04d}"
    return Resolved(value, "decade", date(first, 1, 1), date(end, 12, 31), ambiguous=ambiguous)


def century(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    m = re.fullmatch(r"(?:the )?(?:(early|mid|late)[ -])?(\d{1,2})(?:st|nd|rd|th) century", t)
    if not m:
        return None
    first = (int(m[2]) - 1) * 100
    if first < 1:
        return None
    last = first + 99
    return Resolved(f"{first:04d}/{last:04d}", "fuzzy", date(first, 1, 1), date(last, 12, 31))


def quarter_or_season(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
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


def holiday(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    m = re.fullmatch(r"(?:(this|last|next) )?([a-z' ]+?)(?: (\d{4}))?", t)
    if not m or (m[2] not in _FIXED_HOLIDAYS and m[2] not in _EASTER_OFFSETS):
        return None

    def on(y: int) -> date:
        if m[2] in _FIXED_HOLIDAYS:
            return date(y, *_FIXED_HOLIDAYS[m[2]])
        sunday: date = easter(y)
        return sunday + timedelta(days=_EASTER_OFFSETS[m[2]])

    if m[3]:
        return day(on(int(m[3])))
    if anchor is None:
        return unresolved("day")
    tense = {"last": "past", "next": "future"}.get(m[1] or "", tense)  # type: ignore[assignment]
    return day(pick([on(anchor.year + k) for k in (-1, 0, 1)], anchor, tense), imputed=True)


def year_number(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    m = re.fullmatch(
        r"(?:(?:fiscal|fy|the year|calendar year|the fiscal year|financial year)\s*)?(\d{4})", t
    )
    if not m or not 1000 <= int(m[1]) <= 2199:
        return None
    return year(int(m[1]))


def event_relative(t: str, anchor: date | None, tense: Tense) -> Resolved | None:
    if _EVENT_RELATIVE.search(t):
        unit = next((u for u in ("day", "week", "month", "year") if u in t), "day")
        return unresolved(UNITS[unit] if unit != "day" else "day")  # type: ignore[arg-type]
    if _RECENT.fullmatch(t):
        return unresolved()
    return None


# In order: the first rule that recognizes an expression wins.
RELATIVE_RULES = (
    relative_day,
    weekday,
    relative_period,
    ago,
    past_n,
    decade,
    century,
    quarter_or_season,
    holiday,
    year_number,
)

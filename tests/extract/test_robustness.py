"""No article is lost to an extractor, and no stored value leaves its range, whatever the text.

Property-based (hypothesis): the whole pipeline, ``parse_text`` then ``extract_parsed``, reads
arbitrary text, number tables, "N years ago" with any N, huge and odd numbers, and mixed scripts,
with any publication date. Every run must return, record no extractor failure, keep every span
inside its zone's text and every date, amount and confidence in range. Derandomized with a
modest example count: spaCy costs a few milliseconds per text, and CI sees the same examples.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db import models as db
from app.db.base import Base
from app.extract import failures
from app.extract.failures import collecting, guard
from app.extract.parse import parse_text
from app.extract.pipeline import extract_parsed
from app.extract.timenorm import normalize
from app.extract.timerules import ago, past_n
from app.extract.timevalues import fits
from app.extract.types import ExtractedArticle, ParsedArticle, Span

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
UNITS = ("day", "week", "month", "year", "decade")

# Numbers as news (and broken news) writes them: plain, grouped, huge, float syntax, no number
# at all, and digits of other scripts (Arabic-Indic, Devanagari, full-width...).
NUMBERS = st.one_of(
    st.integers(0, 10**30).map(str),
    st.integers(0, 10**15).map(lambda n: f"{n:,}"),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e308", "NaN", "inf", "-0", "9" * 400, "1" + ",000" * 40, "0.0000001"]),
    st.text(st.characters(categories=["Nd"]), min_size=1, max_size=6),
)
MONEY_WORDS = st.sampled_from(["dollars", "euros", "pounds", "yen", "head", "tonnes", "percent"])
AGO = st.one_of(
    st.builds(
        "{} {}{}{}".format,
        NUMBERS,
        st.sampled_from(UNITS),
        st.sampled_from(["s", ""]),
        st.sampled_from([" ago", " from now", " later", " earlier"]),
    ),
    st.builds(
        "{}{} {}".format,
        st.sampled_from(["in ", "within ", "the past ", "over the last "]),
        NUMBERS,
        st.sampled_from(["days", "weeks", "months", "years"]),
    ),
)
SCRIPTS = st.characters(
    categories=["L", "M", "N", "P", "S", "Zs"], exclude_characters="\x00"
)  # every script, marks, digits, punctuation (curly quotes too), symbols (emoji)
PUBLISHED = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2040, 12, 31)),
    st.sampled_from([datetime(1, 1, 1), datetime(9999, 12, 31), datetime(1, 12, 31)]),
)


@st.composite
def ago_sentences(draw: st.DrawFn) -> str:
    phrase = draw(AGO)
    frame = draw(st.sampled_from([
        "The herd was counted {}.", "A cave painting made {} was found in France.",
        "Prices rose sharply {}, the ministry said on Monday.", "{}", "Year ago {}",
        '"We lost everything {}," she said.', "The talks will resume {}.",
    ]))  # fmt: skip
    return frame.format(phrase)


@st.composite
def number_tables(draw: st.DrawFn) -> str:
    """A livestock or price table as wire services print it: labels and columns of numbers."""
    header = draw(st.sampled_from(["Year ago", "Week ago", "Month ago", "Today", "Est"]))
    columns = draw(st.integers(1, 4))
    labels = st.sampled_from(["Cattle", "Hogs", "Sheep", "Wheat", "Year ago", "Prev week", "Total"])
    rows = draw(st.lists(labels, min_size=1, max_size=6))
    lines = [f"Receipts {header} " + " ".join(["Week"] * columns)]
    for label in rows:
        cells = [draw(NUMBERS) for _ in range(columns)]
        unit = draw(st.sampled_from(["", " head", " dlrs", " pct", " year ago", " years ago"]))
        lines.append(f"{label} {' '.join(cells)}{unit}")
    return "\n".join(lines)


@st.composite
def odd_numbers(draw: st.DrawFn) -> str:
    sentences = [
        f"The fund holds {draw(NUMBERS)} {draw(MONEY_WORDS)}.",
        f"It cost ${draw(NUMBERS)} billion, or {draw(NUMBERS)}% of the total.",
        f"Between ${draw(NUMBERS)} and {draw(NUMBERS)} billion was lost in {draw(NUMBERS)}.",
        f"At {draw(NUMBERS)}:{draw(NUMBERS)} p.m. on {draw(NUMBERS)} March {draw(NUMBERS)}, "
        f"{draw(NUMBERS)} people gathered for the {draw(NUMBERS)}s.",
        f"Sales fell in Q{draw(NUMBERS)} {draw(NUMBERS)} and in the {draw(NUMBERS)}th century.",
    ]
    return " ".join(draw(st.permutations(sentences)))


@st.composite
def mixed_scripts(draw: st.DrawFn) -> str:
    words = st.one_of(
        st.text(SCRIPTS, min_size=1, max_size=12),
        st.sampled_from(["said", "President", "Obama", "on Monday", "“", "”", '"', "$", "%",
                         "\n", "\n\n", "Reuters", "London", "3000 years ago", "next week"]),
    )  # fmt: skip
    return " ".join(draw(st.lists(words, min_size=1, max_size=40)))


@st.composite
def long_runs(draw: st.DrawFn) -> str:
    """A name, a number, a date or a title run on for hundreds of characters."""
    word = draw(st.sampled_from(["Grand", "Monday", "1,000", "heavy", "Minister", "9" * 50, "x"]))
    run = draw(st.sampled_from([" ", "-", " and ", ",", ""])).join(
        [word] * draw(st.integers(20, 150))
    )
    frame = draw(st.sampled_from([
        "{} Corporation said on Monday it sold shares.", "The company sold {} machines.",
        "It cost ${} billion.", "It happened {} days later.", "Prime Minister {} Johnson said.",
        'The {} said: "We will win this war, whatever it costs."', "On {} they met in Paris.",
    ]))  # fmt: skip
    return frame.format(run)


def column_length(model: type[Base], column: str) -> int:
    length = model.__table__.c[column].type.length  # type: ignore[attr-defined]
    assert isinstance(length, int)
    return length


def assert_fits_the_store(extracted: ExtractedArticle) -> None:
    """PostgreSQL refuses a string longer than its column: the whole article would be lost."""
    for entity in extracted.entities:
        assert len(entity.name) <= column_length(db.Entity, "name"), entity.name
        assert all(len(a) <= column_length(db.EntityAlias, "alias") for a in entity.aliases)
        assert all(len(m.text) <= column_length(db.Mention, "text") for m in entity.mentions)
    assert all(len(r.title) <= column_length(db.Role, "title") for r in extracted.roles)
    assert all(len(t.text) <= column_length(db.Timex, "text") for t in extracted.timexes)
    for amount in extracted.amounts:
        assert len(amount.text) <= column_length(db.Amount, "text"), amount
        assert len(amount.unit) <= column_length(db.Amount, "unit"), amount


def extract(text: str, published: datetime | None) -> ExtractedArticle:
    parsed = parse_text(text)
    if published is not None:
        parsed = replace(parsed, published_at=published)
    results = extract_parsed([parsed])
    assert len(results) == 1
    return results[0]


def zone_text(parsed: ParsedArticle, span: Span) -> str:
    if span.zone in ("body", "subhead"):
        return parsed.body
    if span.zone == "caption":
        return parsed.images[span.zone_index].caption
    text = parsed.title if span.zone == "title" else parsed.teaser
    assert text is not None, span
    return text


def spans_with_text(extracted: ExtractedArticle) -> Iterator[tuple[Span, str | None]]:
    for entity in extracted.entities:
        yield from ((m.span, m.text) for m in entity.mentions)
    yield from ((r.span, r.text) for r in extracted.roles)
    yield from ((t.span, t.text) for t in extracted.timexes)
    yield from ((a.span, a.text) for a in extracted.amounts)
    yield from ((q.span, q.text) for q in extracted.quotes)
    for event in extracted.events:
        texts = event.evidence_text or (None,) * len(event.evidence)
        yield from zip(event.evidence, texts, strict=True)


_ISO = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T(\d{2}):(\d{2}))?")


def valid_value(value: str) -> bool:
    """An ISO 8601 date, month, year or datetime (or a start/end pair of them) in years 1-9999."""
    for part in value.split("/"):
        match = _ISO.fullmatch(part)
        if match is None:
            return False
        year, month, day, hour, minute = (int(g) if g else None for g in match.groups())
        assert year is not None
        try:
            date(year, month or 1, day or 1)
        except ValueError:
            return False
        if hour is not None and not (hour < 24 and minute is not None and minute < 60):
            return False
    return True


def assert_sound(extracted: ExtractedArticle) -> None:
    assert extracted.failures == (), extracted.failures
    parsed = extracted.parsed
    for span, text in spans_with_text(extracted):
        zone = zone_text(parsed, span)
        assert 0 <= span.start <= span.end <= len(zone), (span, len(zone))
        if text is not None:
            assert zone[span.start : span.end] == text, (span, text)
    for timex in extracted.timexes:
        assert timex.value is None or valid_value(timex.value), timex
        if timex.range_start and timex.range_end:
            assert timex.range_start <= timex.range_end, timex
    for amount in extracted.amounts:
        assert math.isfinite(amount.value), amount
    for event in extracted.events:
        if event.date_start and event.date_end:
            assert event.date_start <= event.date_end, event
    confidences = [t.confidence for t in extracted.timexes] + [
        a.confidence for a in extracted.amounts
    ]
    confidences += [e.confidence for e in extracted.events] + [
        q.confidence for q in extracted.quotes
    ]
    assert all(0 <= c <= 1 for c in confidences), confidences


@PROPERTY
@given(st.text(max_size=400), PUBLISHED)
def test_any_text(text: str, published: datetime | None) -> None:
    assert_sound(extract(text, published))


@PROPERTY
@given(st.lists(ago_sentences(), min_size=1, max_size=4).map("\n\n".join), PUBLISHED)
def test_n_years_ago_with_any_n(text: str, published: datetime | None) -> None:
    assert_sound(extract(text, published))


@PROPERTY
@given(number_tables(), PUBLISHED)
def test_number_tables(text: str, published: datetime | None) -> None:
    assert_sound(extract("Livestock receipts\n\n" + text, published))


@PROPERTY
@given(odd_numbers(), PUBLISHED)
def test_huge_and_odd_numbers(text: str, published: datetime | None) -> None:
    assert_sound(extract(text, published))


@PROPERTY
@given(long_runs(), PUBLISHED)
def test_long_runs_fit_the_store(text: str, published: datetime | None) -> None:
    extracted = extract(text, published)
    assert_sound(extracted)
    assert_fits_the_store(extracted)


@PROPERTY
@given(mixed_scripts(), PUBLISHED)
def test_mixed_scripts(text: str, published: datetime | None) -> None:
    assert_sound(extract(text, published))


# --- the known cases, each on its own -------------------------------------------------------

PUBLISHED_DAY = datetime(2021, 9, 12)


@pytest.mark.parametrize(
    "text",
    [
        "Cattle receipts\nYear ago 346,000 head\nCattle 346,000 year ago.",  # -344004
        "A cave painting made 3000 years ago was found in France.",  # -981
        "People settled the valley 10000 years ago.",
    ],
)
def test_years_before_the_calendar_keep_the_article_and_drop_the_value(text: str) -> None:
    extracted = extract(text, PUBLISHED_DAY)
    assert_sound(extracted)
    ago_timexes = [t for t in extracted.timexes if "ago" in t.text]
    assert ago_timexes, [t.text for t in extracted.timexes]
    assert all(t.value is None and t.range_start is None for t in ago_timexes)


def test_years_ago_inside_the_calendar_still_resolve() -> None:
    anchor = date(2021, 9, 12)
    assert ago("2000 years ago", anchor, "past").value == "0021"  # type: ignore[union-attr]
    assert ago("346,000 year ago", anchor, "past").value is None  # type: ignore[union-attr]
    assert ago("8000 years from now", anchor, "future").value is None  # type: ignore[union-attr]
    assert past_n("the past 3000 years", anchor, "past").value is None  # type: ignore[union-attr]
    assert past_n("the past 20 years", anchor, "past").value == "2001-09-12/2021-09-12"  # type: ignore[union-attr]


def test_fits_is_the_calendar() -> None:
    assert fits(date(2021, 9, 12), months=-12 * 2020)
    assert not fits(date(2021, 9, 12), months=-12 * 2021)
    assert fits(date(9999, 12, 30), days=1) and not fits(date(9999, 12, 30), days=2)


def test_huge_numbers_are_not_stored_as_infinity() -> None:
    text = f"The fund holds {'9' * 400} dollars and {'9' * 400} people came."
    extracted = extract(text, PUBLISHED_DAY)
    assert_sound(extracted)
    assert not [a for a in extracted.amounts if "9999" in a.text]


def test_clock_minutes_past_59_are_not_a_time() -> None:
    extracted = extract("The vote closed at 7:85 p.m. on Monday.", PUBLISHED_DAY)
    assert_sound(extracted)
    assert all("85" not in (t.value or "") for t in extracted.timexes)


# --- one candidate that fails drops that fact only --------------------------------------------

TEXT = (
    'Officials said on Monday that 3,000 soldiers arrived in Minsk. "We are ready," '
    "Defence Minister Viktor Khrenin said. The exercises cost $5 million, up 12% since 2020.\n\n"
    "President Alexander Lukashenko met Vladimir Putin in Moscow on Tuesday."
)


def test_a_failing_date_span_drops_that_date_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.extract import time as time_module

    real = time_module._timex

    def failing(zone_doc, start, end, *rest):  # type: ignore[no-untyped-def]
        if zone_doc.text[start:end] == "Monday":
            raise ValueError("a date rule broke")
        return real(zone_doc, start, end, *rest)

    monkeypatch.setattr(time_module, "_timex", failing)
    extracted = extract(TEXT, PUBLISHED_DAY)
    assert [(f.extractor, f.text, f.error) for f in extracted.failures] == [
        ("time", "Monday", "ValueError: a date rule broke")
    ]
    assert extracted.failures[0].span is not None
    assert "Monday" not in [t.text for t in extracted.timexes]
    assert "2020" in [t.text for t in extracted.timexes]  # the other dates are kept
    assert extracted.amounts and extracted.quotes and extracted.entities


def test_a_failing_amount_drops_that_amount_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.extract import amounts as amounts_module

    real = amounts_module.currency_from_code

    def failing(code: str) -> str | None:
        if code == "$":
            raise KeyError(code)
        return real(code)

    monkeypatch.setattr(amounts_module, "currency_from_code", failing)
    extracted = extract(TEXT, PUBLISHED_DAY)
    assert [(f.extractor, f.text) for f in extracted.failures] == [("amounts", "$5 million")]
    units = {a.unit for a in extracted.amounts}
    assert "USD" not in units and "%" in units


def test_a_failing_quote_drops_that_quote_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.extract import quotes as quotes_module

    def failing(*args: object) -> None:
        raise IndexError("attribution broke")

    monkeypatch.setattr(quotes_module, "_attribute", failing)
    extracted = extract(TEXT, PUBLISHED_DAY)
    assert [(f.extractor, f.text) for f in extracted.failures] == [("quotes", "We are ready,")]
    assert extracted.quotes == ()
    assert extracted.timexes and extracted.amounts and extracted.entities


def test_a_failing_event_trigger_drops_that_event_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.extract import events as events_module

    def failing(*args: object) -> None:
        raise AttributeError("argument reading broke")

    monkeypatch.setattr(events_module, "read_status", failing)
    extracted = extract(TEXT, PUBLISHED_DAY)
    assert [(f.extractor, f.text) for f in extracted.failures] == [("events", "met")]
    assert [e.type for e in extracted.events] == ["statement"]  # the quote's event is kept
    assert extracted.timexes and extracted.amounts and extracted.quotes


def test_an_extractor_that_fails_as_a_whole_leaves_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.extract import pipeline

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("entities broke")

    monkeypatch.setattr(pipeline, "extract_entities", failing)
    extracted = extract(TEXT, PUBLISHED_DAY)
    assert [(f.extractor, f.span, f.error) for f in extracted.failures] == [
        ("entities", None, "RuntimeError: entities broke")
    ]
    assert extracted.entities == () and extracted.roles == ()
    assert extracted.timexes and extracted.amounts


def test_outside_the_pipeline_a_failure_raises() -> None:
    """Extractors called on their own (unit tests, scripts) show a bug where it happens."""
    with pytest.raises(ZeroDivisionError), guard("time"):
        _ = 1 / 0
    with collecting() as found, guard("time"):
        _ = 1 / 0
    assert [f.error for f in found] == ["ZeroDivisionError: division by zero"]
    assert "time" in failures.EXTRACTORS


@pytest.mark.parametrize(
    ("text", "value"),
    [("the 2nd century", "0100/0199"), ("the 0990s", "0990/0999"), ("0999-1010", "0999/1010")],
)
def test_early_years_keep_four_digits(text: str, value: str) -> None:
    resolved = normalize(text, date(2021, 9, 12))
    assert resolved is not None and resolved.value == value
    assert valid_value(value)


@pytest.mark.parametrize(
    ("text", "anchor"),
    [("Q1 0000", date(2021, 9, 12)), ("next year", date(9999, 6, 1)), ("last week", date.min)],
)
def test_dates_past_the_calendar_are_dropped(text: str, anchor: date) -> None:
    assert normalize(text, anchor) is None

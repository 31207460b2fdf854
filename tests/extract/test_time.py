"""Date expressions: normalized against the published date and the tense of their sentence."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from app.extract.nlp import ZoneDoc, analyse
from app.extract.time import extract_timexes
from app.extract.types import Image, ParsedArticle, Timex
from tests.corpus import fixture_texts

SEED_DAY = date(2021, 9, 12)  # a Sunday


def timexes(text: str, published: date | None = SEED_DAY, title: str | None = None) -> list[Timex]:
    when = datetime(published.year, published.month, published.day) if published else None
    docs = analyse([ParsedArticle(body=text, title=title, published_at=when)])[0]
    return extract_timexes(docs, published=published)


def find(text: str, expression: str, published: date | None = SEED_DAY) -> Timex:
    found = [t for t in timexes(text, published) if expression in t.text]
    assert found, f"{expression!r} not found in {[t.text for t in timexes(text, published)]}"
    return found[0]


# The seed article (DW, Sunday 2021-09-12).


def test_sunday_in_a_past_sentence_is_the_published_day() -> None:
    text = "Lukashenko visited the Zapad military exercises underway with Russia Sunday."
    timex = find(text, "Sunday")
    assert (timex.value, timex.precision, timex.anchor) == ("2021-09-12", "day", SEED_DAY)


def test_monday_after_is_expected_to_is_the_next_monday() -> None:
    text = "Russian President Vladimir Putin is expected to pay a visit to the troops Monday."
    assert find(text, "Monday").value == "2021-09-13"


def test_monday_in_a_past_sentence_is_the_previous_monday() -> None:
    assert find("Putin visited the troops on Monday.", "Monday").value == "2021-09-06"


def test_thursday_of_last_week_is_ambiguous_on_a_sunday() -> None:
    text = "On Thursday of last week, Putin and Lukashenko met in the Kremlin for seven hours."
    timex = find(text, "Thursday of last week")
    assert (timex.value, timex.ambiguous) == ("2021-09-09", True)


def test_last_thursday() -> None:
    text = "Putin meets with his counterpart Alexander Lukashenko at the Kremlin last Thursday."
    assert find(text, "last Thursday").value == "2021-09-09"


def test_november_4_in_a_future_sentence_is_this_year_and_imputed() -> None:
    text = "On November 4, Putin is expected in the Belarusian capital, Minsk, to sign agreements."
    timex = find(text, "November 4")
    assert (timex.value, timex.precision, timex.imputed) == ("2021-11-04", "day", True)


def test_by_mid_october_is_a_month() -> None:
    text = "Troops involved in Zapad will all have returned to their bases by mid-October."
    timex = find(text, "mid-October")
    assert (timex.text, timex.value, timex.precision) == ("by mid-October", "2021-10", "month")


def test_by_2025_is_a_year() -> None:
    text = "He announced plans to acquire $1 billion worth of weapons from Russia by 2025."
    timex = find(text, "2025")
    assert (timex.value, timex.precision, timex.range_start) == ("2025", "year", date(2025, 1, 1))


def test_in_november_in_a_future_sentence() -> None:
    timex = find("Putin will come to Minsk in November to sign agreements.", "November")
    assert (timex.value, timex.precision, timex.range_end) == (
        "2021-11",
        "month",
        date(2021, 11, 30),
    )


def test_a_written_year() -> None:
    text = (
        "For the first time since the fall of communism in 1989, Poland has declared an emergency."
    )
    assert find(text, "1989").value == "1989"


def test_later_in_the_week_on_a_sunday_is_the_coming_week() -> None:
    text = "The maneuvers are set to conclude later in the week."
    timex = find(text, "later in the week")
    assert (timex.range_start, timex.range_end) == (date(2021, 9, 13), date(2021, 9, 19))


def test_durations_are_not_dates() -> None:
    text = (
        "The live fire drill is the culmination of a week's worth of maneuvers. "
        "They met for seven hours. The conflict lasted two decades."
    )
    assert [t.text for t in timexes(text) if t.value is not None] == []


def test_the_eve_of_an_event_is_kept_without_a_value() -> None:
    timex = find("On the eve of the drills, Putin said Zapad was defensive.", "eve")
    assert (timex.value, timex.precision) == (None, "day")


# General cases.


@pytest.mark.parametrize(
    ("sentence", "expression", "value", "precision"),
    [
        ("The 1990s were hard for the region.", "1990s", "1990/1999", "decade"),
        ("Sales fell last year.", "last year", "2020", "year"),
        ("Talks will resume next week.", "next week", "2021-09-13/2021-09-19", "week"),
        ("The minister resigned yesterday.", "yesterday", "2021-09-11", "day"),
        ("The minister speaks today.", "today", "2021-09-12", "day"),
        ("The minister will speak tomorrow.", "tomorrow", "2021-09-13", "day"),
        ("The treaty was signed on September 12, 2021.", "September 12, 2021", "2021-09-12", "day"),
        ("The report is dated 2021-09-12.", "2021-09-12", "2021-09-12", "day"),
        ("Prices rose earlier this month.", "earlier this month", "2021-09", "fuzzy"),
        ("The company was founded two years ago.", "two years ago", "2019", "year"),
        (
            "Growth slowed in the first quarter of 2021.",
            "first quarter",
            "2021-01/2021-03",
            "quarter",
        ),
        ("The war ended in the summer of 1945.", "1945", "1945-06/1945-08", "season"),
        ("Profits rose between 2014 and 2016.", "2014", "2014/2016", "year"),
        (
            "The festival ran from March 3 to March 5, 2021.",
            "March 3",
            "2021-03-03/2021-03-05",
            "day",
        ),
        ("He lived there in the 19th century.", "century", "1800/1899", "fuzzy"),
    ],
)
def test_expressions_resolve(sentence: str, expression: str, value: str, precision: str) -> None:
    timex = find(sentence, expression)
    assert (timex.value, timex.precision) == (value, precision)


def test_friday_in_a_past_sentence_on_a_wednesday() -> None:
    published = date(2019, 1, 16)
    assert find("The talks collapsed on Friday.", "Friday", published).value == "2019-01-11"


def test_friday_in_a_future_sentence_on_a_wednesday() -> None:
    published = date(2019, 1, 16)
    assert find("Parliament will vote on Friday.", "Friday", published).value == "2019-01-18"


def test_a_month_day_in_a_past_sentence_takes_last_year_in_january() -> None:
    timex = find("The ship sank on December 28.", "December 28", date(2019, 1, 10))
    assert (timex.value, timex.imputed) == ("2018-12-28", True)


def test_a_month_in_a_future_sentence_takes_the_next_occurrence() -> None:
    timex = find("The book is due out in May.", "May", date(2019, 1, 22))
    assert timex.value == "2019-05"


def test_last_month_crosses_a_year_boundary() -> None:
    assert find("Exports fell last month.", "last month", date(2019, 1, 10)).value == "2018-12"


def test_a_weekday_named_with_a_date_picks_the_matching_year() -> None:
    timex = find("The summit opened on Monday, September 13.", "September 13", date(2021, 12, 1))
    assert timex.value == "2021-09-13"


def test_a_bare_weekday_spacy_misses_is_caught() -> None:
    timex = find("Officials said it happened Tuesday, according to police.", "Tuesday")
    assert timex.value == "2021-09-07"


def test_without_a_published_date_relative_dates_have_no_value() -> None:
    found = timexes("He resigned on Monday. The treaty was signed on September 12, 2021.", None)
    values = {t.text: t.value for t in found}
    assert values["Monday"] is None
    assert values["September 12, 2021"] == "2021-09-12"


def test_without_a_published_date_confidence_is_lower() -> None:
    timex = find("He resigned on Monday.", "Monday", None)
    assert timex.anchor is None
    assert timex.confidence < 0.5


def test_title_dates_carry_the_title_zone() -> None:
    found = timexes("Nothing here.", title="Putin to visit Minsk on Monday")
    assert [(t.span.zone, t.value) for t in found] == [("title", "2021-09-13")]


def test_spans_slice_the_zone_text() -> None:
    text = "On Thursday of last week, Putin met Lukashenko. He will return in November."
    for timex in timexes(text):
        assert text[timex.span.start : timex.span.end] == timex.text


# Property test over real Wikinews articles.

_ISO_PART = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}:\d{2})?)?)?")


def _valid_iso(value: str) -> bool:
    parts = value.split("/")
    if len(parts) > 2 or not all(_ISO_PART.fullmatch(p) for p in parts):
        return False
    for part in parts:
        if len(part) == 7:
            date.fromisoformat(part + "-01")
        elif len(part) >= 10:
            datetime.fromisoformat(part)
    return True


@pytest.fixture(scope="module")
def wikinews() -> list[tuple[date, list[ZoneDoc]]]:
    files = fixture_texts()
    articles, dates = [], []
    for path in files:
        title, date_line, _, *body = path.read_text(encoding="utf-8").split("\n")
        published = date.fromisoformat(date_line.removeprefix("Date: "))
        dates.append(published)
        when = datetime(published.year, published.month, published.day)
        articles.append(ParsedArticle(body="\n".join(body), title=title, published_at=when))
    return list(zip(dates, analyse(articles), strict=True))


def test_wikinews_timexes_slice_their_zone_and_have_iso_values(
    wikinews: list[tuple[date, list[ZoneDoc]]],
) -> None:
    checked = 0
    for published, docs in wikinews:
        texts = {(d.zone, d.zone_index): d.text for d in docs}
        for timex in extract_timexes(docs, published=published):
            zone = "body" if timex.span.zone == "subhead" else timex.span.zone
            assert (
                texts[(zone, timex.span.zone_index)][timex.span.start : timex.span.end]
                == timex.text
            )
            assert timex.value is None or _valid_iso(timex.value)
            if timex.range_start and timex.range_end:
                assert timex.range_start <= timex.range_end
            checked += 1
    assert checked > 100


def test_wikinews_day_dates_mostly_get_a_value(wikinews: list[tuple[date, list[ZoneDoc]]]) -> None:
    day_like = re.compile(r"day\b|\b\d{1,2}\b|yesterday|today|tomorrow", re.IGNORECASE)
    with_day, resolved = 0, 0
    for published, docs in wikinews:
        found = {(t.span.zone, t.span.start): t for t in extract_timexes(docs, published=published)}
        for zone_doc in docs:
            for ent in zone_doc.doc.ents:
                if ent.label_ != "DATE" or not day_like.search(ent.text):
                    continue
                with_day += 1
                hit = [t for (z, s), t in found.items() if z in (zone_doc.zone, "subhead")
                       and s <= ent.start_char < s + len(t.text) + 3]  # fmt: skip
                resolved += any(t.value for t in hit)
    assert with_day > 30
    assert resolved / with_day >= 0.75


# A year that is not written: the nearest one, in the direction the sentence gives.


def test_a_date_that_modifies_a_noun_takes_the_nearest_year_not_the_verbs_tense() -> None:
    # The past tense dates the announcement, not the ceremony it names.
    text = "Nominations were announced on Monday for the Feb. 9 ceremony."
    timex = find(text, "Feb. 9", date(2020, 1, 20))
    assert (timex.value, timex.imputed) == ("2020-02-09", True)


def test_a_future_cue_in_the_clause_points_forward() -> None:
    text = "The show drew fewer viewers; this year's upcoming ceremony airs Feb. 9."
    assert find(text, "Feb. 9", date(2020, 1, 20)).value == "2020-02-09"


def test_a_past_cue_in_the_clause_points_back() -> None:
    text = "Ratings for the Feb. 9 broadcast are down sharply from the previous year."
    assert find(text, "Feb. 9", date(2020, 1, 20)).value == "2019-02-09"


def test_a_future_seen_from_the_past_takes_the_nearest_year() -> None:
    text = "A hearing that had been scheduled for Dec. 20 was postponed."
    assert find(text, "Dec. 20", date(2019, 12, 30)).value == "2019-12-20"


def test_is_due_to_points_forward() -> None:
    text = "He is due to appear in court on Dec. 20, his lawyer said."
    assert find(text, "Dec. 20", date(2019, 12, 30)).value == "2020-12-20"


def test_a_past_verb_the_date_hangs_on_still_points_back() -> None:
    text = "The company said on Feb. 9 that it had closed the plant."
    assert find(text, "Feb. 9", date(2020, 1, 20)).value == "2019-02-09"


# A weekday in apposition names the date's day.


def test_a_weekday_in_apposition_agrees_with_its_date() -> None:
    text = "The House voted on Dec. 18, a Wednesday, to impeach him."
    found = {t.text: t for t in timexes(text, date(2019, 12, 30))}
    assert found["Dec. 18"].value == found["Wednesday"].value == "2019-12-18"


def test_a_weekday_in_apposition_chooses_the_dates_year() -> None:
    # A future sentence would take next 18 December; only 2019's is a Wednesday.
    text = "Officials will review the vote held on Dec. 18, a Wednesday."
    found = {t.text: t for t in timexes(text, date(2020, 1, 5))}
    assert found["Dec. 18"].value == found["Wednesday"].value == "2019-12-18"


def test_a_weekday_in_apposition_that_fits_no_year_marks_the_date_ambiguous() -> None:
    text = "The House voted on Dec. 17, a Wednesday, to impeach him."
    found = {t.text: t for t in timexes(text, date(2019, 12, 30))}
    assert found["Dec. 17"].ambiguous and found["Wednesday"].value == found["Dec. 17"].value


# A bare four-digit number is a year only in temporal context.


@pytest.mark.parametrize(
    "sentence",
    [
        "Sam Mendes's 1917 won best picture at the ceremony.",
        "The war film 1917 is nominated for ten awards.",
        'Critics said "1917" was the favourite.',
        "He will speak at 5 p.m. local time (2100 UTC) on Monday.",
        "Customers still run Windows 2000 on old machines.",
    ],
)
def test_a_number_that_names_a_work_or_a_time_is_not_a_year(sentence: str) -> None:
    assert not [t for t in timexes(sentence, date(2020, 1, 20)) if "1917" in t.text or
                re.fullmatch(r"\d{4}", t.text)]  # fmt: skip


@pytest.mark.parametrize(
    ("sentence", "year"),
    [
        ("He was born in 1917 in a small village.", "1917"),
        ("The firm has owned the land since 1920.", "1920"),
        ("She campaigned in the 2016 referendum.", "2016"),
        ("Cuban roads are dangerous; 2018 saw many accidents.", "2018"),
        ("The race was held in 1990, 1994 and 1998.", "1998"),
    ],
)
def test_a_number_in_temporal_context_is_a_year(sentence: str, year: str) -> None:
    assert year in [t.value for t in timexes(sentence, date(2020, 1, 20))]


# Relative words that count from another day than publication are flagged.


def test_yesterday_inside_a_direct_quote_is_flagged() -> None:
    text = '"We met him yesterday," she said. Police arrested him yesterday.'
    quoted, narrated = [t for t in timexes(text) if t.text == "yesterday"]
    assert (quoted.ambiguous, quoted.confidence <= 0.5) == (True, True)
    assert (narrated.ambiguous, narrated.confidence) == (False, 1.0)
    assert quoted.value == narrated.value == "2021-09-11"  # the best guess is kept


def test_a_weekday_in_a_caption_is_flagged() -> None:
    docs = analyse(
        [
            ParsedArticle(
                body="Protests continued.",
                images=(Image(caption="Protesters marched on Monday in the capital."),),
                published_at=datetime(2021, 9, 12),
            )
        ]
    )[0]
    (monday,) = [t for t in extract_timexes(docs, published=SEED_DAY) if "Monday" in t.text]
    assert monday.span.zone == "caption" and monday.ambiguous and monday.confidence <= 0.5


def test_a_month_inside_a_quote_is_not_flagged() -> None:
    timex = find('"Sales fell last month," the chief executive said.', "last month")
    assert (timex.value, timex.ambiguous) == ("2021-08", False)

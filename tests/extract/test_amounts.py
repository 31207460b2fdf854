"""Money with ISO currencies, percentages, counts with their unit, and restatement groups."""

from __future__ import annotations

import re

import pytest

from app.extract.amounts import extract_amounts
from app.extract.nlp import ZoneDoc, analyse
from app.extract.types import Amount, ParsedArticle
from tests.corpus import fixture_texts

_CURRENCY_MARK = re.compile(r"\d.*(?:[$€£¥₹]|dollar|euro|yen|yuan|rupee|franc)|[$€£¥₹]\s?\d", re.I)


def amounts(text: str, title: str | None = None) -> list[Amount]:
    docs = analyse([ParsedArticle(body=text, title=title)])[0]
    return extract_amounts(docs)


def only(text: str) -> Amount:
    found = amounts(text)
    assert len(found) == 1, [a.text for a in found]
    return found[0]


# The seed article.


def test_a_parenthesized_conversion_is_the_same_amount() -> None:
    text = (
        "Lukashenko announced his country's plans to acquire $1 billion (€850 million) worth "
        "of weapons from Russia by 2025."
    )
    dollars, euros = amounts(text)
    assert (dollars.value, dollars.unit, dollars.kind) == (1e9, "USD", "money")
    assert (euros.value, euros.unit) == (8.5e8, "EUR")
    assert dollars.same_as_group is not None
    assert dollars.same_as_group == euros.same_as_group


def test_the_same_sum_in_title_and_body_is_grouped() -> None:
    found = amounts("He announced a $1 billion purchase.", title="Lukashenko plans $1bn arms deal")
    assert {a.value for a in found} == {1e9}
    assert len({a.same_as_group for a in found}) == 1
    assert found[0].same_as_group is not None


def test_a_count_takes_its_noun_phrase_as_unit() -> None:
    amount = only("Zapad involves 200,000 military personnel and has unsettled Ukraine.")
    assert (amount.value, amount.unit, amount.kind) == (200000, "military personnel", "count")
    assert amount.text == "200,000 military personnel"


def test_small_cardinals_without_a_noun_and_referring_numbers_are_skipped() -> None:
    text = "Lukashenko said together the two nations were prepared. Two of them left."
    assert amounts(text) == []


def test_durations_and_years_are_not_amounts() -> None:
    text = "Putin and Lukashenko met for seven hours in 1989 on November 4."
    assert [a for a in amounts(text) if a.kind != "quantity"] == []


# Money formats.


@pytest.mark.parametrize(
    ("sentence", "value", "currency"),
    [
        ("Lukashenko plans $1bn arms deal.", 1e9, "USD"),
        ("The club paid £3.5m for him.", 3.5e6, "GBP"),
        ("Tickets cost €20 each.", 20, "EUR"),
        ("The fund lost US$5 million.", 5e6, "USD"),
        ("The fine was 5 million euros.", 5e6, "EUR"),
        ("Japan spent 10 billion yen on it.", 1e10, "JPY"),
        ("The state spent Rs 500 crore on roads.", 5e9, "INR"),
        ("Seoul set aside 1.2 trillion won.", 1.2e12, "KRW"),
        ("A coffee costs $2.50 here.", 2.5, "USD"),
        ("Canberra pledged A$3 million.", 3e6, "AUD"),
        ("The tycoon paid HK$20 billion.", 2e10, "HKD"),
        ("Gazprom earned 7 billion roubles.", 7e9, "RUB"),
        ("The loan totals 300 million Australian dollars.", 3e8, "AUD"),
        ("China invested 50 billion yuan.", 5e10, "CNY"),
        ("The bank holds USD 2 million in reserve.", 2e6, "USD"),
        ("He was fined 10,000 Swiss francs.", 1e4, "CHF"),
    ],
)
def test_money_formats(sentence: str, value: float, currency: str) -> None:
    amount = only(sentence)
    assert (amount.value, amount.unit, amount.kind) == (value, currency, "money")


def test_a_weight_in_pounds_is_not_money() -> None:
    amount = only("The dog weighed 82 pounds.")
    assert amount.kind != "money"


def test_won_as_a_verb_is_not_money() -> None:
    assert [a for a in amounts("The party won 3 seats.") if a.kind == "money"] == []


def test_a_range_shares_its_multiplier() -> None:
    amount = amounts("Reconstruction will cost between US$300 and 400 billion.")[0]
    assert amount.value == 3e11


# Percentages and counts.


@pytest.mark.parametrize(
    ("sentence", "value", "unit"),
    [
        ("Unemployment rose to 5% in May.", 5, "%"),
        ("Turnout was 5 per cent lower.", 5, "%"),
        ("About 26.9 percent voted.", 26.9, "%"),
        ("Support fell 3 percentage points.", 3, "percentage points"),
    ],
)
def test_percentages(sentence: str, value: float, unit: str) -> None:
    amount = only(sentence)
    assert (amount.value, amount.unit, amount.kind) == (value, unit, "percent")


def test_vague_plurals_count_with_low_confidence() -> None:
    amount = only("Thousands of protesters marched in Minsk.")
    assert (amount.value, amount.unit) == (1000, "protesters")
    assert amount.confidence < 1


def test_a_dozen() -> None:
    amount = only("Police arrested a dozen people.")
    assert (amount.value, amount.unit) == (12, "people")


def test_numbers_in_words_with_multipliers() -> None:
    amount = only("Officials said 1.2 million people voted.")
    assert (amount.value, amount.unit) == (1.2e6, "people")


def test_scores_phone_numbers_labels_and_ordinals_are_skipped() -> None:
    text = (
        "Sweden beat Korea 3-1 in the first game. Call 555-123-4567 for details. "
        "Article 5 applies to the third party. Rates are three per 100,000 people."
    )
    assert amounts(text) == []


def test_model_numbers_are_not_counts() -> None:
    assert amounts("The capsule was launched on a Falcon 9 rocket.") == []


def test_quantities_keep_their_unit() -> None:
    found = amounts("The home is located 70 miles (112 km) south of Los Angeles.")
    assert [(a.value, a.unit, a.kind) for a in found] == [
        (70, "miles", "quantity"),
        (112, "km", "quantity"),
    ]
    assert found[0].same_as_group == found[1].same_as_group is not None


def test_unrelated_amounts_are_not_grouped() -> None:
    found = amounts("They paid $5 million and later $7 million.")
    assert [a.same_as_group for a in found] == [None, None]


# Property test over real Wikinews articles.


@pytest.fixture(scope="module")
def wikinews() -> list[list[ZoneDoc]]:
    files = fixture_texts()
    articles = []
    for path in files:
        title, _, _, *body = path.read_text(encoding="utf-8").split("\n")
        articles.append(ParsedArticle(body="\n".join(body), title=title))
    return analyse(articles)


def test_wikinews_amounts_slice_their_zone_and_are_well_formed(
    wikinews: list[list[ZoneDoc]],
) -> None:
    checked = 0
    for docs in wikinews:
        texts = {(d.zone, d.zone_index): d.text for d in docs}
        for amount in extract_amounts(docs):
            zone = "body" if amount.span.zone == "subhead" else amount.span.zone
            assert texts[(zone, amount.span.zone_index)][amount.span.start : amount.span.end] == (
                amount.text
            )
            assert amount.value > 0
            assert amount.unit.strip() == amount.unit != ""
            if amount.kind == "money":
                assert len(amount.unit) == 3 and amount.unit.isupper()
            checked += 1
    assert checked > 50


def test_wikinews_money_entities_are_mostly_found(wikinews: list[list[ZoneDoc]]) -> None:
    total, found = 0, 0
    for docs in wikinews:
        starts = [(a.span.start, a.span.end) for a in extract_amounts(docs) if a.kind == "money"]
        for ent in (e for d in docs if d.zone == "body" for e in d.doc.ents):
            if ent.label_ == "MONEY" and _CURRENCY_MARK.search(ent.text):
                total += 1
                found += any(s < ent.end_char and ent.start_char < e for s, e in starts)
    assert total >= 5
    assert found / total >= 0.8


# Amounts that are facts (issue 14).


@pytest.mark.parametrize(
    "text",
    [
        "One group of organizers said the march would go ahead.",
        "A man was arrested after one officer was hurt.",
        "Police said an attacker had fled.",
    ],
)
def test_one_or_a_before_a_noun_is_not_a_count(text: str) -> None:
    assert amounts(text) == []


def test_one_among_other_counts_is_a_count() -> None:
    text = "The Greens won one seat, the Liberals 8 seats."
    assert (1.0, "seat") in [(a.value, a.unit) for a in amounts(text)]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("The blackouts hit hundreds of thousands of customers.", 1e5, "customers"),
        ("Tens of thousands of people marched through the city.", 1e4, "people"),
        ("Dozens of shops closed early.", 12, "shops"),
        ("Millions of viewers watched the final.", 1e6, "viewers"),
    ],
)
def test_a_vague_number_is_one_approximate_count(text: str, value: float, unit: str) -> None:
    amount = only(text)
    assert (amount.value, amount.unit, amount.kind) == (value, unit, "count")
    assert amount.approximate and amount.confidence < 1.0


def test_a_hedged_number_is_approximate_and_an_exact_one_is_not() -> None:
    about, exact = amounts("About 300 people attended and 42 people were arrested.")
    assert (about.value, about.approximate) == (300, True)
    assert exact.approximate is False


@pytest.mark.parametrize(
    "text",
    [
        "Gamers bought RTX 3080 cards within minutes.",
        "Analysts said iPhone 12 sales were strong.",
        "Airlines grounded their Boeing 737 jets.",
        "The air force flew F-16 fighters over the parade.",
    ],
)
def test_a_model_number_is_not_a_quantity(text: str) -> None:
    assert amounts(text) == []


def test_a_count_of_models_keeps_its_count() -> None:
    assert [(a.value, a.unit) for a in amounts("The airline ordered 20 new jets.")] == [
        (20, "new jets")
    ]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("The county recorded 25.9 cases per 100,000 people.", 25.9, "cases per 100,000 people"),
        ("Petrol now costs $3 a gallon in the state.", 3, "USD per gallon"),
        ("Prices rose 5 per cent a year over the decade.", 5, "% per year"),
        ("The plant emits 200 tonnes per day of carbon.", 200, "tonnes per day"),
        ("Cleaners earn £9 an hour.", 9, "GBP per hour"),
    ],
)
def test_a_rate_is_one_amount_with_its_base(text: str, value: float, unit: str) -> None:
    amount = only(text)
    assert (amount.value, amount.unit, amount.kind) == (value, unit, "rate")
    assert unit.split(" per ")[-1] in amount.text


def test_a_speed_stays_a_quantity_and_a_year_ago_is_not_a_base() -> None:
    speed = only("Winds reached 75 miles per hour.")
    assert speed.kind == "quantity"
    growth = only("Sales grew 5% a year ago.")
    assert (growth.kind, growth.unit) == ("percent", "%")


def test_about_as_a_preposition_is_no_hedge() -> None:
    assert only("The film is a drama about two teenage boys.").approximate is False


def test_a_speed_in_miles_per_hour_is_not_a_rate() -> None:
    assert only("Hurricanes must sustain winds of at least 74 miles per hour.").kind != "rate"

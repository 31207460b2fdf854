"""Events: triggers, participants and roles, status, dates, amounts, merging, the seed article."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from spacy.language import Language

from app.extract.events import extract_events
from app.extract.nlp import get_nlp
from app.extract.parse import parse_text
from app.extract.pipeline import extract_parsed
from app.extract.types import Amount, Event, ExtractedArticle, ParsedArticle, Timex
from tests.corpus import fixture_texts
from tests.extract.qe_builders import amount, build_entities, key_of, span_text, timex, zone

PUBLISHED = date(2021, 9, 12)
SEED = Path(__file__).resolve().parents[2] / "seed" / "dw-2021-09-12-lukashenko-arms-deal.txt"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return get_nlp()


def events_of(
    nlp: Language,
    text: str,
    dates: dict[str, date] | None = None,
    money: dict[str, float] | None = None,
) -> tuple[list[Event], dict[str, str], list[Amount]]:
    docs = [zone(nlp, text)]
    entities = build_entities(docs)
    timexes: list[Timex] = [timex(docs[0], s, d) for s, d in (dates or {}).items()]
    amounts = [amount(docs[0], s, v, "USD") for s, v in (money or {}).items()]
    events = extract_events(
        docs, entities=entities, timexes=timexes, amounts=amounts, published=PUBLISHED
    )
    return events, {e.name: e.key for e in entities}, amounts


def roles(event: Event) -> dict[str, str]:
    return {p.entity_key: p.role for p in event.participants}


def test_meeting_with_counterpart_location_and_date(nlp: Language) -> None:
    text = "French President Emmanuel Macron met Olaf Scholz in Berlin on Tuesday."
    events, keys, _ = events_of(nlp, text, {"Tuesday": date(2021, 9, 7)})
    [event] = events
    assert event.type == "meeting"
    assert event.status == "occurred"
    assert roles(event) == {keys["Emmanuel Macron"]: "agent", keys["Olaf Scholz"]: "counterpart"}
    assert event.location_key == keys["Berlin"]
    assert (event.date_start, event.date_precision) == (date(2021, 9, 7), "day")


def test_future_exercise_with_partner_is_expected(nlp: Language) -> None:
    text = "Chinese troops will hold joint naval drills with Iran in the Gulf of Oman."
    events, keys, _ = events_of(nlp, text)
    [event] = events
    assert event.type == "military_exercise"
    assert event.status == "expected"
    assert set(roles(event)) == {keys["China"], keys["Iran"]}


def test_arms_purchase_has_buyer_seller_and_amount(nlp: Language) -> None:
    text = "India plans to buy $2 billion worth of fighter jets from France."
    events, keys, _ = events_of(nlp, text, money={"$2 billion": 2e9})
    [event] = events
    assert event.type == "arms_deal"
    assert event.status == "expected"
    assert roles(event) == {keys["India"]: "buyer", keys["France"]: "seller"}
    assert event.amount_indexes == (0,)


def test_signed_agreement_in_past_occurred(nlp: Language) -> None:
    events, keys, _ = events_of(nlp, "Ukraine signed an agreement with Poland on grain exports.")
    [event] = events
    assert (event.type, event.status) == ("agreement", "occurred")
    assert roles(event) == {keys["Ukraine"]: "agent", keys["Poland"]: "counterpart"}


def test_sanctions_have_agent_and_target(nlp: Language) -> None:
    text = "The European Union imposed sanctions on Iran over its nuclear program."
    events, keys, _ = events_of(nlp, text)
    [event] = events
    assert event.type == "sanction"
    assert roles(event)[keys["Iran"]] == "target"


def test_protest_with_only_a_place_is_kept(nlp: Language) -> None:
    events, keys, _ = events_of(nlp, "Thousands of people rallied in Paris against the reform.")
    [event] = events
    assert (event.type, event.location_key) == ("protest", keys["Paris"])


def test_air_strike_on_a_village_is_an_attack(nlp: Language) -> None:
    events, keys, _ = events_of(nlp, "Israeli jets struck a village near Gaza, killing five.")
    assert [e.type for e in events] == ["attack"]
    assert keys["Israel"] in roles(events[0])


def test_figurative_uses_make_no_event(nlp: Language) -> None:
    text = (
        "Olaf Scholz struck a similar tone. The company met the demands of its workers. "
        "Angela Merkel said the plan was good. Joe Biden suffered a heart attack in 2010."
    )
    events, _, _ = events_of(nlp, text)
    assert events == []


def test_exercise_without_military_context_is_not_an_event(nlp: Language) -> None:
    events, _, _ = events_of(nlp, "Angela Merkel recommends daily exercise in Berlin.")
    assert events == []


def test_events_inside_quotes_are_not_reported_as_fact(nlp: Language) -> None:
    events, keys, _ = events_of(nlp, '"Russia will attack Ukraine," Joe Biden warned.')
    # What Biden said is his statement, not an attack that happened.
    assert [(e.type, roles(e)) for e in events] == [("statement", {keys["Joe Biden"]: "agent"})]


def test_announced_visit_in_future_by_date(nlp: Language) -> None:
    text = "Joe Biden will visit Poland on Friday."
    events, keys, _ = events_of(nlp, text, {"Friday": date(2021, 9, 17)})
    [event] = events
    assert (event.type, event.status) == ("visit", "expected")
    assert event.location_key == keys["Poland"]
    assert event.date_start == date(2021, 9, 17)


def test_two_sentences_about_one_meeting_merge(nlp: Language) -> None:
    text = (
        "Vladimir Putin met Recep Tayyip Erdogan in Sochi on Wednesday. "
        "The meeting with Erdogan lasted three hours, Vladimir Putin said."
    )
    events, _, _ = events_of(nlp, text, {"Wednesday": date(2021, 9, 8)})
    meetings = [e for e in events if e.type == "meeting"]
    assert len(meetings) == 1
    assert len(meetings[0].evidence) == 2


def test_same_people_on_different_dates_stay_two_meetings(nlp: Language) -> None:
    text = (
        "Vladimir Putin met Recep Tayyip Erdogan in Sochi on Wednesday. "
        "Vladimir Putin met Recep Tayyip Erdogan again in Moscow in March."
    )
    dates = {"Wednesday": date(2021, 9, 8), "March": date(2021, 3, 1)}
    events, _, _ = events_of(nlp, text, dates)
    assert len([e for e in events if e.type == "meeting"]) == 2


def test_evidence_text_is_the_sentence_slice(nlp: Language) -> None:
    docs = [zone(nlp, "Joe Biden will visit Poland. Kenya will hold an election in August.")]
    entities = build_entities(docs)
    events = extract_events(docs, entities=entities, timexes=[], amounts=[], published=None)
    for event in events:
        for span, text in zip(event.evidence, event.evidence_text, strict=True):
            assert span_text(docs, span) == text


@pytest.fixture(scope="module")
def seed() -> ExtractedArticle:
    parsed = parse_text(SEED.read_text(encoding="utf-8"))
    return extract_parsed([parsed])[0]


def seed_event(seed: ExtractedArticle, kind: str, *names: str) -> Event:
    keys = {key_of(list(seed.entities), n) for n in names}
    return next(e for e in seed.events if e.type == kind and keys <= set(roles(e)))


def test_seed_lukashenko_visited_the_exercises(seed: ExtractedArticle) -> None:
    event = seed_event(seed, "visit", "Alexander Lukashenko")
    assert (event.status, event.date_start) == ("occurred", date(2021, 9, 12))


def test_seed_zapad_exercise_is_ongoing_with_russia(seed: ExtractedArticle) -> None:
    event = seed_event(seed, "military_exercise", "Russia")
    assert event.status == "ongoing"
    assert event.name_key is not None
    assert "Zapad" in key_name(seed, event.name_key)


def key_name(seed: ExtractedArticle, key: str) -> str:
    return next(e.name for e in seed.entities if e.key == key)


def test_seed_arms_deal_buyer_seller_and_deadline(seed: ExtractedArticle) -> None:
    event = seed_event(seed, "arms_deal", "Russia")
    assert event.status == "expected"
    assert roles(event)[key_of(list(seed.entities), "Russia")] == "seller"
    assert event.date_end == date(2025, 12, 31)
    assert len(event.evidence) >= 2


def test_seed_putin_visit_monday_is_expected(seed: ExtractedArticle) -> None:
    event = seed_event(seed, "visit", "Vladimir Putin")
    assert (event.status, event.date_start) == ("expected", date(2021, 9, 13))


def test_seed_poland_declared_state_of_emergency(seed: ExtractedArticle) -> None:
    event = seed_event(seed, "state_of_emergency", "Poland")
    assert event.status == "occurred"
    assert event.date_start is None  # "since ... 1989" dates something else


def test_seed_kremlin_meeting_last_thursday(seed: ExtractedArticle) -> None:
    event = seed_event(seed, "meeting", "Vladimir Putin", "Alexander Lukashenko")
    assert (event.status, event.date_start) == ("occurred", date(2021, 9, 9))
    assert event.location_key == key_of(list(seed.entities), "Kremlin")


def test_seed_minsk_agreements_expected_november_4(seed: ExtractedArticle) -> None:
    event = seed_event(seed, "agreement", "Vladimir Putin")
    assert (event.status, event.date_start) == ("expected", date(2021, 11, 4))
    assert event.location_key == key_of(list(seed.entities), "Minsk")


def test_seed_has_no_attack(seed: ExtractedArticle) -> None:
    assert not [e for e in seed.events if e.type == "attack"]


def test_seed_statements_are_those_of_the_quoted_leaders(seed: ExtractedArticle) -> None:
    names = {e.key: e.name for e in seed.entities}
    speakers = {
        names[p.entity_key] for e in seed.events if e.type == "statement" for p in e.participants
    }
    assert speakers == {"Alexander Lukashenko", "Mateusz Morawiecki"}


def wikinews_articles(limit: int = 32) -> list[ParsedArticle]:
    picked = fixture_texts(max_bytes=8_000)[-limit:]
    articles = []
    for path in picked:
        lines = path.read_text(encoding="utf-8").split("\n")
        published = datetime.fromisoformat(lines[1].removeprefix("Date: ").strip())
        body = "\n".join(lines[3:]).strip()
        articles.append(ParsedArticle(body=body, title=lines[0], published_at=published))
    return articles


def test_wikinews_events_are_well_formed(nlp: Language) -> None:
    extracted = extract_parsed(wikinews_articles())
    assert len(extracted) >= 30
    count = 0
    for article in extracted:
        keys = {e.key for e in article.entities}
        zones: dict[tuple[str, int], str] = {
            (z, i): text for z, i, text in article.parsed.zone_texts()
        }
        for event in article.events:
            count += 1
            assert {p.entity_key for p in event.participants} <= keys
            assert event.location_key is None or event.location_key in keys
            for span, text in zip(event.evidence, event.evidence_text, strict=True):
                zone_key = ("body", 0) if span.zone == "subhead" else (span.zone, span.zone_index)
                assert zones[zone_key][span.start : span.end] == text
            assert all(0 <= i < len(article.amounts) for i in event.amount_indexes)
    assert count > 10


# --- the article's main event: what the headline (and the lead) report ---------------------

MAIN_PUBLISHED = datetime(2021, 10, 12, tzinfo=UTC)


def extracted(title: str, body: str) -> ExtractedArticle:
    parsed = ParsedArticle(body=body, title=title, published_at=MAIN_PUBLISHED)
    [article] = extract_parsed([parsed])
    return article


def main_event(article: ExtractedArticle) -> tuple[Event, dict[str, str]]:
    """The one main event, which comes first, and {participant name: role}."""
    mains = [e for e in article.events if e.main]
    assert len(mains) == 1 and article.events[0] is mains[0], article.events
    names = {e.key: e.name for e in article.entities}
    return mains[0], {names[p.entity_key]: p.role for p in mains[0].participants}


def test_headline_present_tense_reports_a_past_death_with_lead_place_and_date() -> None:
    article = extracted(
        "Former senator John Miller dies at 90",
        "John Miller, who served three terms in the Senate, died on Sunday in Boston.",
    )
    event, people = main_event(article)
    assert (event.type, event.trigger, event.status) == ("other", "die", "occurred")
    assert people["John Miller"] == "agent"
    names = {e.key: e.name for e in article.entities}
    assert names[event.location_key or ""] == "Boston"
    assert event.date_start == date(2021, 10, 10)
    assert event.summary.startswith("die (occurred)")


def test_event_noun_subject_of_a_headline_verb_is_the_event() -> None:
    article = extracted(
        "Blackouts hit northern California",
        "Power companies cut electricity to thousands of homes on Monday as strong winds "
        "raised the risk of fire.",
    )
    event, _ = main_event(article)
    assert (event.type, event.trigger) == ("other", "blackout")
    names = {e.key: e.name for e in article.entities}
    assert "California" in names[event.location_key or ""]


def test_verbless_headline_takes_its_event_noun() -> None:
    article = extracted(
        "Hundreds dead in stadium stampede",
        "Hundreds of football fans were hurt when a crowd surged towards the exits in Lagos.",
    )
    event, _ = main_event(article)
    assert (event.type, event.trigger, event.status) == ("other", "stampede", "occurred")


def test_headline_with_a_taxonomy_trigger_gives_a_typed_main_event() -> None:
    article = extracted(
        "Chancellor Olaf Scholz to visit Japan",
        "German Chancellor Olaf Scholz will travel to Tokyo next week for talks on trade.",
    )
    event, people = main_event(article)
    assert (event.type, event.status) == ("visit", "expected")
    assert people["Olaf Scholz"] == "agent"


def test_quotes_do_not_replace_the_news_and_give_one_statement_per_speaker() -> None:
    article = extracted(
        "Thieves steal painting from Dutch museum",
        "Thieves stole a painting by Vincent van Gogh from a museum in Amsterdam overnight. "
        '"We are devastated," museum director Anna Berg said. '
        '"It was the heart of our collection," Berg added. '
        '"We will find it," Berg told reporters.',
    )
    event, _ = main_event(article)
    assert (event.type, event.trigger) == ("other", "steal")
    names = {e.key: e.name for e in article.entities}
    speakers = [
        names[p.entity_key] for e in article.events if e.type == "statement" for p in e.participants
    ]
    assert speakers == ["Anna Berg"]


def test_headline_of_saying_makes_the_statement_the_main_event() -> None:
    article = extracted(
        "Finance minister Paul Green says economy will grow",
        "Finance minister Paul Green told parliament on Tuesday that the economy would grow.",
    )
    event, people = main_event(article)
    assert event.type == "statement"
    assert people["Paul Green"] == "agent"


def test_without_a_headline_only_a_taxonomy_trigger_makes_the_lead_the_main_event(
    nlp: Language,
) -> None:
    events, _, _ = events_of(nlp, "Angela Merkel met Emmanuel Macron in Paris on Tuesday.")
    assert [e.main for e in events] == [True]
    events, _, _ = events_of(nlp, "Angela Merkel recommends daily exercise in Berlin.")
    assert events == []


def test_headline_passive_without_auxiliary_makes_the_subject_the_patient() -> None:
    article = extracted(
        "Former minister Tom Baker jailed for fraud",
        "Tom Baker, who served in the cabinet for ten years, must spend six years in prison.",
    )
    event, people = main_event(article)
    assert (event.type, event.trigger) == ("other", "jail")
    assert people["Tom Baker"] == "target"


def test_event_noun_subject_is_the_event_only_for_verbs_of_impact() -> None:
    article = extracted(
        "Strong sales lift Ford profits",
        "Ford said on Tuesday that its profits rose by a fifth in the last quarter.",
    )
    event, _ = main_event(article)
    assert event.trigger == "lift"

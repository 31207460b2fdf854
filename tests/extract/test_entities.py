"""Entities of an article: types, countries, demonyms, clusters, places that stand for states."""

import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from app.extract.countries import country_by_demonym, country_by_name
from app.extract.entities import extract_entities
from app.extract.nlp import analyse
from app.extract.parse import parse_text
from app.extract.types import Entity, ParsedArticle
from tests.corpus import fixture_texts

SEED = Path(__file__).resolve().parents[2] / "seed" / "dw-2021-09-12-lukashenko-arms-deal.txt"


def entities_of(body: str) -> list[Entity]:
    return extract_entities(analyse([ParsedArticle(body=body)])[0])[0]


def named(entities: Sequence[Entity], name: str) -> Entity:
    matches = [e for e in entities if e.name == name]
    assert len(matches) == 1, f"{name!r} in {[e.name for e in entities]}"
    return matches[0]


@pytest.fixture(scope="module")
def seed_entities() -> list[Entity]:
    article = parse_text(SEED.read_text(encoding="utf-8"))
    return extract_entities(analyse([article])[0])[0]


# --- the seed article ----------------------------------------------------------------------


def test_seed_lukashenko_is_one_person_with_his_surname_as_alias(
    seed_entities: list[Entity],
) -> None:
    lukashenko = named(seed_entities, "Alexander Lukashenko")
    assert lukashenko.type == "person"
    assert "Lukashenko" in lukashenko.aliases
    assert not [e for e in seed_entities if e.name == "Lukashenko"]


def test_seed_belarusian_is_a_mention_of_belarus(seed_entities: list[Entity]) -> None:
    belarus = named(seed_entities, "Belarus")
    assert belarus.type == "country" and belarus.country_code == "BY"
    assert "Belarusian" in {m.text for m in belarus.mentions}


def test_seed_polish_is_poland(seed_entities: list[Entity]) -> None:
    assert "Polish" in named(seed_entities, "Poland").aliases


def test_seed_s400_is_a_weapon(seed_entities: list[Entity]) -> None:
    assert named(seed_entities, "S-400").type == "weapon"


def test_seed_zapad_is_an_event(seed_entities: list[Entity]) -> None:
    zapad = named(seed_entities, "Zapad")
    assert zapad.type == "event"
    assert len(zapad.mentions) >= 4


def test_seed_kremlin_is_a_place_standing_for_russia(seed_entities: list[Entity]) -> None:
    kremlin = named(seed_entities, "Kremlin")
    assert kremlin.type == "place"
    assert kremlin.stands_for == named(seed_entities, "Russia").key


def test_seed_has_no_caption_credit_junk(seed_entities: list[Entity]) -> None:
    assert not [e for e in seed_entities if "Image" in e.name or "/" in e.name]


# --- general sentences ---------------------------------------------------------------------


def test_country_names_use_common_names_and_iso_codes() -> None:
    found = entities_of("Iran, South Korea, Britain and the US met in Vietnam with Bolivia.")
    codes = {e.name: e.country_code for e in found if e.type == "country"}
    assert codes == {
        "Iran": "IR",
        "South Korea": "KR",
        "United Kingdom": "GB",
        "United States": "US",
        "Vietnam": "VN",
        "Bolivia": "BO",
    }


@pytest.mark.parametrize(
    ("demonym", "code"),
    [
        ("Belarusian", "BY"),
        ("Polish", "PL"),
        ("American", "US"),
        ("Chinese", "CN"),
        ("British", "GB"),
    ],
)
def test_demonym_table(demonym: str, code: str) -> None:
    country = country_by_demonym(demonym)
    assert country is not None and country.code == code


def test_short_lowercase_words_are_not_countries() -> None:
    assert country_by_name("us") is None
    assert country_by_name("US") is not None


def test_demonym_and_country_name_are_one_entity() -> None:
    found = entities_of("Hungarian officials said Hungary would veto the plan.")
    hungary = named(found, "Hungary")
    assert len(hungary.mentions) == 2
    assert hungary.aliases == ("Hungarian",)


def test_surname_joins_the_full_name() -> None:
    found = entities_of(
        "Angela Merkel arrived in Paris on Monday. Merkel's aides said she was tired."
    )
    merkel = named(found, "Angela Merkel")
    assert [m.text for m in merkel.mentions] == ["Angela Merkel", "Merkel"]


def test_surname_shared_by_two_people_stays_apart() -> None:
    found = entities_of(
        "Hunter Biden testified on Monday. Jill Biden was not present. Biden declined to comment."
    )
    people = {e.name for e in found if e.type == "person"}
    assert {"Hunter Biden", "Jill Biden"} <= people
    assert len(named(found, "Hunter Biden").mentions) == 1


def test_lone_surname_goes_to_the_person_not_introduced_as_a_relative() -> None:
    found = entities_of(
        "Serena Williams won the final on Saturday. Her sister Venus Williams lost in the "
        "semi-final. Williams said she was delighted."
    )
    assert [m.text for m in named(found, "Serena Williams").mentions][-1] == "Williams"
    assert len(named(found, "Venus Williams").mentions) == 1
    assert "Williams" not in {e.name for e in found}


def test_honorific_gender_picks_the_relative_who_shares_the_surname() -> None:
    found = entities_of(
        "Mark Meadows said he would leave the White House. His wife, Debbie Meadows, said the "
        'family was ready. "We are proud," Mrs. Meadows said. Their son, Blake Meadows, is a '
        "student. Mr. Meadows will join a think tank."
    )
    assert len(named(found, "Debbie Meadows").mentions) == 2
    assert len(named(found, "Mark Meadows").mentions) == 2
    assert len(named(found, "Blake Meadows").mentions) == 1


def test_title_swallowed_into_a_name_is_stripped() -> None:
    found = entities_of("Yesterday President Emmanuel Macron flew to Berlin.")
    assert named(found, "Emmanuel Macron").type == "person"


def test_possessive_is_stripped() -> None:
    found = entities_of("Boris Johnson resigned. Johnson's successor was chosen in September.")
    assert {m.text for m in named(found, "Boris Johnson").mentions} == {"Boris Johnson", "Johnson"}


def test_defined_acronym_and_long_name_are_one_entity() -> None:
    found = entities_of(
        "The International Atomic Energy Agency (IAEA) sent inspectors. The IAEA said Iran refused."
    )
    iaea = named(found, "International Atomic Energy Agency")
    assert iaea.type == "organization"
    assert "IAEA" in iaea.aliases
    assert len(iaea.mentions) == 3


def test_exercise_without_year_joins_its_edition() -> None:
    found = entities_of(
        "Russia launched Vostok-2022 on Thursday. The Vostok drills involve 50,000 troops."
    )
    vostok = named(found, "Vostok-2022")
    assert vostok.type == "event"
    assert vostok.aliases == ("Vostok",)


def test_weapon_plural_is_the_same_weapon() -> None:
    found = entities_of("Denmark sent F-16s to Ukraine. Each F-16 needs a trained pilot.")
    assert len(named(found, "F-16").mentions) == 2


def test_capital_as_speaker_stands_for_its_country() -> None:
    found = entities_of("China and Japan held talks. Beijing said the talks went well.")
    assert named(found, "Beijing").stands_for == named(found, "China").key


def test_capital_as_a_location_stands_for_nothing() -> None:
    found = entities_of("China sent a delegation. The delegates had dinner in Beijing.")
    assert named(found, "Beijing").stands_for is None


def test_nationality_group_that_is_not_a_demonym_is_a_group() -> None:
    found = entities_of("Republicans in the Senate blocked the bill on Tuesday.")
    assert named(found, "Republicans").type == "group"


def test_dates_and_numbers_are_not_entities() -> None:
    found = entities_of("On Monday, 300 people paid $5 million for 20% of the shares.")
    assert found == []


# --- real articles -------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


@pytest.fixture(scope="module")
def corpus_results() -> list[tuple[ParsedArticle, list[Entity]]]:
    articles = []
    for path in fixture_texts(max_bytes=5000):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        body = "\n".join(line for line in lines[1:] if not line.startswith("Date: ")).strip()
        articles.append(ParsedArticle(body=body, title=lines[0]))
    return [
        (article, extract_entities(docs)[0])
        for article, docs in zip(articles, analyse(articles), strict=True)
    ]


def test_corpus_has_at_least_30_articles(
    corpus_results: list[tuple[ParsedArticle, list[Entity]]],
) -> None:
    assert len(corpus_results) >= 30
    assert sum(len(entities) for _, entities in corpus_results) > 300


def test_corpus_entities_have_names_and_unique_keys(
    corpus_results: list[tuple[ParsedArticle, list[Entity]]],
) -> None:
    for _, entities in corpus_results:
        assert all(e.name.strip() and e.mentions for e in entities)
        assert len({e.key for e in entities}) == len(entities)


def test_corpus_mention_spans_slice_their_zone(
    corpus_results: list[tuple[ParsedArticle, list[Entity]]],
) -> None:
    for article, entities in corpus_results:
        zones = {(zone, index): text for zone, index, text in article.zone_texts()}
        for mention in (m for e in entities for m in e.mentions):
            zone = "body" if mention.span.zone == "subhead" else mention.span.zone
            text = zones[(zone, mention.span.zone_index)]
            assert text[mention.span.start : mention.span.end] == mention.text


def test_corpus_countries_have_iso_codes(
    corpus_results: list[tuple[ParsedArticle, list[Entity]]],
) -> None:
    countries = [e for _, entities in corpus_results for e in entities if e.type == "country"]
    assert countries
    assert all(e.country_code and len(e.country_code) == 2 for e in countries)


def test_corpus_has_no_duplicate_entities(
    corpus_results: list[tuple[ParsedArticle, list[Entity]]],
) -> None:
    for _, entities in corpus_results:
        identities = [(e.type, _norm(e.name)) for e in entities]
        assert len(identities) == len(set(identities))


def test_given_name_and_lone_surname_make_a_person_of_an_org_label() -> None:
    from app.extract.given_names import looks_like_person

    assert looks_like_person("Alistair Cragg")
    assert not looks_like_person("Jefferson Parish")
    assert not looks_like_person("Morgan Stanley")
    assert not looks_like_person("Cragg")


def test_name_with_given_name_and_surname_alone_later_is_one_person() -> None:
    entities = entities_of(
        "Ulf Danielsson of the selection committee spoke to reporters in Stockholm. "
        "Danielsson said the choice had been easy."
    )
    person = named(entities, "Ulf Danielsson")
    assert person.type == "person"
    assert "Danielsson" in [m.text for m in person.mentions]


# --- names found again where the model missed them, parts of names, spans ------------------


def test_name_the_model_missed_later_is_a_mention_of_the_same_person() -> None:
    text = (
        "Security chief Alexander Lebed met rebel leaders on Friday.\n\n"
        "Lebed said he hoped to sign a document later in the day.\n\n"
        "Officials said Lebed would fly back to the capital on Saturday."
    )
    lebed = named(entities_of(text), "Alexander Lebed")
    assert lebed.type == "person"
    assert [m.text for m in lebed.mentions].count("Lebed") == 2


def test_repeated_name_is_not_taken_from_inside_a_longer_name() -> None:
    text = (
        "George Washington was the first president.\n\n"
        "The Washington Post reported the letter on Monday."
    )
    entities = entities_of(text)
    person = named(entities, "George Washington")
    assert all(m.text != "Washington" for m in person.mentions)


def test_month_is_not_a_repeated_surname() -> None:
    text = (
        "Prime Minister Theresa May arrived in Brussels.\n\n"
        "The talks are expected to end in May, officials said."
    )
    may = named(entities_of(text), "Theresa May")
    assert len(may.mentions) == 1


def test_surname_first_name_joins_its_person_whatever_its_label() -> None:
    text = (
        "Wang Donghai won the men's title in Beijing on Sunday.\n\n"
        "Wang beat the defending champion in straight sets.\n\n"
        "It was the third title of the season for Wang."
    )
    wang = named(entities_of(text), "Wang Donghai")
    assert wang.type == "person"
    assert sum(m.text == "Wang" for m in wang.mentions) >= 1
    assert not [e for e in entities_of(text) if e.name == "Wang"]


def test_lone_name_that_reads_as_a_place_stays_a_place() -> None:
    text = (
        "Michael Jordan visited Amman last week.\n\n"
        "He said he would return to Jordan next year for a charity game."
    )
    entities = entities_of(text)
    assert named(entities, "Jordan").type == "country"


def test_the_is_not_part_of_a_country_mention_but_is_part_of_the_hague() -> None:
    entities = entities_of("The United States and the Netherlands met in The Hague on Monday.")
    assert "United States" in {m.text for m in named(entities, "United States").mentions}
    assert {m.text for m in named(entities, "Netherlands").mentions} == {"Netherlands"}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Leading scores: J. Ratcliffe 63, G. Kersey 65.", "J. Ratcliffe"),
        ("Results on Saturday: Mexico 2-0 Jamaica.", "Mexico"),
    ],
)
def test_score_glued_to_a_name_is_not_part_of_it(text: str, name: str) -> None:
    entities = entities_of(text)
    spans = {m.text for e in entities for m in e.mentions}
    assert name in spans
    assert not [s for s in spans if s.startswith(name) and s != name]


@pytest.mark.parametrize(
    ("text", "team"),
    [
        ("Ipswich beat Norwich by two goals on Saturday to go top of the table.", "Norwich"),
        ("Results on Saturday: Rochdale 3 Barnsley 1, Chesterfield 0 Lincoln 2.", "Rochdale"),
        ("Sunday's fixture is Leicester v Swansea at the new stadium.", "Swansea"),
    ],
)
def test_town_that_plays_is_a_team(text: str, team: str) -> None:
    assert named(entities_of(text), team).type == "organization"


def test_nation_that_plays_stays_a_place_and_a_player_with_a_score_a_person() -> None:
    entities = entities_of(
        "England defeated Scotland at Twickenham on Saturday.\n\nLeading scores: J. Ratcliffe 63."
    )
    assert named(entities, "England").type == "place"
    assert named(entities, "J. Ratcliffe").type == "person"


def test_town_in_prose_stays_a_place() -> None:
    entities = entities_of("Flooding hit Ipswich in 2003, when 300 homes were damaged.")
    assert named(entities, "Ipswich").type == "place"


@pytest.mark.parametrize(
    ("text", "place"),
    [
        (
            "Storm closes port\n\nHALIFAX 2021-03-04\n\nA storm closed the port on Thursday.",
            "HALIFAX",
        ),
        (
            "SAN ANTONIO (Reuters) - The city council voted on Tuesday to raise fares.",
            "SAN ANTONIO",
        ),
        ("GDANSK, Poland (AP) — Shipyard workers walked out on Monday.", "GDANSK"),
    ],
)
def test_dateline_place_in_capitals_is_a_place(text: str, place: str) -> None:
    mentions = {m.text: e for e in entities_of(text) for m in e.mentions}
    assert place in mentions
    assert mentions[place].type in ("place", "country")


def test_capitals_opening_a_sentence_without_date_or_agency_are_no_dateline() -> None:
    entities = entities_of("WARNING: the bridge is closed.\n\nNASA said the launch was delayed.")
    assert "WARNING" not in {m.text for e in entities for m in e.mentions}


def test_titles_of_works_are_works_not_people() -> None:
    entities = entities_of(
        'Joaquin Phoenix won for the film Joker, while Renee Zellweger starred in "Judy" last year.'
    )
    assert named(entities, "Joker").type == "work"
    assert named(entities, "Judy").type == "work"
    assert named(entities, "Renee Zellweger").type == "person"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The Academy Awards will be held in Los Angeles on Feb. 9.", "Academy Awards"),
        ("The series took six awards at the Emmys on Sunday.", "Emmys"),
    ],
)
def test_ceremonies_are_events(text: str, name: str) -> None:
    assert named(entities_of(text), name).type == "event"


@pytest.mark.parametrize("department", ["Transport", "Health", "Justice"])
def test_department_word_before_a_title_is_no_organization(department: str) -> None:
    entities = entities_of(f"{department} Secretary Grant Shapps said the plan would go ahead.")
    assert department not in {m.text for e in entities for m in e.mentions}
    assert named(entities, "Grant Shapps").type == "person"


def test_person_name_cut_in_two_by_ner_is_one_person() -> None:
    entities = entities_of(
        "The billionaire Michael R. Bloomberg said on Tuesday that he would spend more.\n\n"
        "Bloomberg has already spent $200 million."
    )
    bloomberg = named(entities, "Michael R. Bloomberg")
    assert bloomberg.type == "person"
    assert {m.text for m in bloomberg.mentions} >= {"Michael R. Bloomberg", "Bloomberg"}
    assert not [e for e in entities if e.name in ("Michael R.", "Bloomberg")]


def test_lone_given_name_joins_the_one_person_with_it() -> None:
    entities = entities_of(
        "White House chief of staff Mark Meadows spoke on Sunday.\n\n"
        "Meadows told reporters the talks would go on. Mark added that nothing was agreed."
    )
    meadows = named(entities, "Mark Meadows")
    assert {m.text for m in meadows.mentions} >= {"Mark Meadows", "Meadows", "Mark"}


def test_honorific_makes_a_person_of_a_name_ner_typed_otherwise() -> None:
    entities = entities_of(
        "Marasek scored twice on Sunday. Mr Marasek said the team was ready. Marasek won the award."
    )
    marasek = named(entities, "Marasek")
    assert marasek.type == "person"
    assert len(marasek.mentions) == 3

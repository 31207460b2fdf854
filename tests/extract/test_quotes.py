"""Quotes: quote marks, speakers by attribution verbs, channels, partial quotes."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from spacy.language import Language

from app.extract.nlp import ZoneDoc, get_nlp
from app.extract.quotes import extract_quotes, find_quote_groups
from app.extract.types import Entity, Quote
from tests.corpus import fixture_texts
from tests.extract.qe_builders import build_entities, key_of, zone


@pytest.fixture(scope="module")
def nlp() -> Language:
    return get_nlp()


def quotes_of(nlp: Language, text: str) -> tuple[list[Quote], list[Entity]]:
    docs = [zone(nlp, text)]
    entities = build_entities(docs)
    return extract_quotes(docs, entities), entities


def only(quotes: list[Quote], fragment: str) -> Quote:
    return next(q for q in quotes if fragment in q.text)


def test_speaker_after_quote_is_subject_of_said(nlp: Language) -> None:
    quotes, entities = quotes_of(nlp, '"We will not give up," Joe Biden said on Monday.')
    assert quotes[0].text == "We will not give up"
    assert quotes[0].speaker_key == key_of(entities, "Joe Biden")
    assert quotes[0].direct


def test_inverted_said_before_name(nlp: Language) -> None:
    text = '"There is no alternative to dialogue," said Emmanuel Macron in a statement.'
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Emmanuel Macron")
    assert quotes[0].channel == "a statement"


def test_speaker_before_quote_with_told_channel(nlp: Language) -> None:
    text = 'Boris Johnson told Reuters: "Britain is ready to act quickly if needed."'
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Boris Johnson")
    assert quotes[0].channel == "Reuters"


def test_according_to_names_the_speaker(nlp: Language) -> None:
    text = 'According to Angela Merkel, "the crisis can only be solved together with partners."'
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Angela Merkel")


def test_pronoun_resolves_to_previous_subject_person(nlp: Language) -> None:
    text = (
        "Emmanuel Macron met reporters in Paris on Monday. "
        '"We are working hard to find a solution," he said in an interview with the BBC.'
    )
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Emmanuel Macron")
    assert quotes[0].channel == "an interview with the BBC"


def test_quoted_as_saying_by_channel(nlp: Language) -> None:
    text = (
        '"We are getting ready to defend our land," Alexander Lukashenko was quoted as saying '
        "by the Telegram channel of the Belarusian presidency."
    )
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Alexander Lukashenko")
    assert quotes[0].channel == "the Telegram channel of the Belarusian presidency"


def test_next_quote_sentence_keeps_the_previous_speaker(nlp: Language) -> None:
    text = '"We will not give up," Joe Biden said. "This fight is far from over."'
    quotes, entities = quotes_of(nlp, text)
    second = only(quotes, "This fight")
    assert second.speaker_key == key_of(entities, "Joe Biden")
    assert second.confidence < 1.0


def test_short_partial_quote_takes_subject_of_governing_verb(nlp: Language) -> None:
    text = 'Polish Prime Minister Mateusz Morawiecki, however, warned of "provocations."'
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].text == "provocations."
    assert not quotes[0].direct
    assert quotes[0].speaker_key == key_of(entities, "Mateusz Morawiecki")


def test_partial_quote_deep_in_reported_clause(nlp: Language) -> None:
    text = (
        "Vladimir Putin praised the troops and said the two nations were prepared to counter "
        '"hybrid aggression" from the West.'
    )
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].text == "hybrid aggression"
    assert quotes[0].speaker_key == key_of(entities, "Vladimir Putin")


def test_scare_quotes_without_speech_verb_are_not_quotes(nlp: Language) -> None:
    quotes, _ = quotes_of(nlp, 'The song "Let It Be" was played at the opening ceremony.')
    assert quotes == []


def test_unattributed_quote_has_no_speaker_and_low_confidence(nlp: Language) -> None:
    quotes, _ = quotes_of(nlp, '"The river has never been this high in living memory."')
    assert quotes[0].speaker_key is None
    assert quotes[0].confidence < 0.6


def test_quote_over_two_paragraphs_gives_one_piece_each_with_the_speaker(nlp: Language) -> None:
    text = (
        '"I have always believed in this team. We worked hard every single day.\n\n'
        '"Nobody expected us to win, but we did it," coach Jurgen Klopp added.'
    )
    quotes, entities = quotes_of(nlp, text)
    assert [q.text for q in quotes] == [
        "I have always believed in this team. We worked hard every single day.",
        "Nobody expected us to win, but we did it",
    ]
    assert {q.speaker_key for q in quotes} == {key_of(entities, "Jurgen Klopp")}


def test_typographic_quote_marks_are_excluded_from_text(nlp: Language) -> None:
    quotes, _ = quotes_of(nlp, "“We are ready for talks,” Olaf Scholz said.")
    assert quotes[0].text == "We are ready for talks"


def test_quote_groups_handle_an_unclosed_quote_without_continuation() -> None:
    text = '"An open quote that never closes\n\nA normal paragraph with "a quote" inside.'
    groups = find_quote_groups(text)
    assert [text[g.start : g.end] for g in groups] == [
        "An open quote that never closes",
        "a quote",
    ]


def wikinews_docs(nlp: Language, limit: int = 40) -> list[tuple[Path, list[ZoneDoc]]]:
    picked = fixture_texts(max_bytes=12_000)[:limit]
    out = []
    for path in picked:
        lines = path.read_text(encoding="utf-8").split("\n")
        body = "\n".join(lines[3:]).strip()
        out.append((path, [zone(nlp, body), zone(nlp, lines[0], "title")]))
    return out


def test_wikinews_quotes_lie_between_quote_marks_and_speakers_exist(nlp: Language) -> None:
    articles = wikinews_docs(nlp)
    assert len(articles) >= 30
    total = 0
    for _, docs in articles:
        entities = build_entities(docs)
        keys = {e.key for e in entities}
        for quote in extract_quotes(docs, entities):
            text = next(d.text for d in docs if d.zone == quote.span.zone)
            assert text[quote.span.start : quote.span.end] == quote.text
            assert re.search(r"[\"“„]\s*$", text[: quote.span.start])
            assert re.match(r"[\s,;:]*([\"”“]|\n|$)", text[quote.span.end :])
            assert quote.speaker_key is None or quote.speaker_key in keys
            total += 1
    assert total > 20


# --- cue verbs ------------------------------------------------------------------------------

CUE_VERBS = (
    "said says told added asked declared quipped wrote tweeted explained insisted warned "
    "noted argued replied continued"
).split()


@pytest.mark.parametrize("verb", CUE_VERBS)
def test_cue_verb_after_the_quote(nlp: Language, verb: str) -> None:
    quotes, entities = quotes_of(nlp, f'"We have done everything we could," {verb} Maria Lopez.')
    assert quotes[0].speaker_key == key_of(entities, "Maria Lopez")


@pytest.mark.parametrize("verb", ["quipped", "tweeted", "insisted", "replied"])
def test_cue_verb_before_the_quote(nlp: Language, verb: str) -> None:
    quotes, entities = quotes_of(nlp, f'Maria Lopez {verb}: "We have done everything we could."')
    assert quotes[0].speaker_key == key_of(entities, "Maria Lopez")


def test_cue_verbs_are_data_read_by_lemma() -> None:
    from app.extract.speakers import word_set

    verbs = word_set("speech_verbs")
    assert {"say", "quip", "tweet", "declare", "insist"} <= verbs
    assert all(v == v.lower() and " " not in v for v in verbs)


# --- pronouns -------------------------------------------------------------------------------


def test_she_skips_a_more_recent_man_by_given_name(nlp: Language) -> None:
    text = (
        "Angela Moreno met the visiting delegation in Madrid. "
        "Afterwards Thomas Becker spoke to reporters. "
        '"We have found common ground," she said.'
    )
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Angela Moreno")


def test_he_skips_a_woman_known_by_her_honorific(nlp: Language) -> None:
    text = (
        "Kim Lee, the finance minister, opened the session. Mrs Robin Park, a senior banker, "
        'replied later. "Rates will stay where they are," he said.'
    )
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Kim Lee")


def test_pronoun_skips_a_person_named_inside_a_quote(nlp: Language) -> None:
    text = (
        "Tom Harris opened the meeting. "
        '"I asked Peter Walsh to join us because he knows the town," he said. '
        '"We need his help," he added.'
    )
    quotes, entities = quotes_of(nlp, text)
    assert {q.speaker_key for q in quotes} == {key_of(entities, "Tom Harris")}


def test_he_added_after_a_sentence_through_an_interpreter(nlp: Language) -> None:
    text = (
        '"We want peace," Vladimir Petrov said through an interpreter. '
        "Interpreter Dmitri Sokolov sat beside him on the stage. "
        '"We are ready to talk at any time," he added.'
    )
    quotes, entities = quotes_of(nlp, text)
    assert [q.speaker_key for q in quotes] == [key_of(entities, "Vladimir Petrov")] * 2


def test_they_is_the_plural_subject_before_it(nlp: Language) -> None:
    text = 'Firefighters reached the farm after midnight. "The barn was lost," they said.'
    quotes, _ = quotes_of(nlp, text)
    assert quotes[0].speaker_key is None
    assert quotes[0].speaker_description == "Firefighters"


# --- descriptions ---------------------------------------------------------------------------


def test_description_resolves_to_the_apposition_it_was_attached_to(nlp: Language) -> None:
    text = (
        "Jane Holloway, a Conservative MP, spoke after John Carter, a Labour MP. "
        '"This bill will not pass," the Conservative MP said.'
    )
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Jane Holloway")
    assert quotes[0].speaker_description is None


def test_description_resolves_to_the_title_before_a_name(nlp: Language) -> None:
    text = (
        "Labour MP John Carter and Conservative MP Jane Holloway met voters on Friday.\n\n"
        'The Conservative MP said: "This bill will not pass.'
    )
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Jane Holloway")


def test_multi_paragraph_speech_after_a_description_keeps_one_speaker(nlp: Language) -> None:
    text = (
        "Jane Holloway, a Conservative MP, addressed the Conservative conference.\n\n"
        "The Conservative MP said:\n\n"
        '"We have listened to the people of this country for too long without acting.\n\n'
        '"Now we must act, and act quickly, before the winter comes.\n\n'
        '"Nobody will thank us for waiting."'
    )
    overrides = {"Conservative": ("Conservative", "group")}
    docs = [zone(nlp, text)]
    entities = build_entities(docs, overrides)
    quotes = extract_quotes(docs, entities)
    assert len(quotes) == 3
    assert {q.speaker_key for q in quotes} == {key_of(entities, "Jane Holloway")}


def test_the_duchess_is_the_person_with_that_title(nlp: Language) -> None:
    text = (
        "Catherine Walters, the Duchess of Harwood, visited the hospital on Monday. "
        '"The nurses here are remarkable," the duchess said.'
    )
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Catherine Walters")


def test_definite_description_without_an_antecedent_stays_unnamed(nlp: Language) -> None:
    quotes, _ = quotes_of(nlp, '"The deal is done," the spokeswoman added.')
    assert quotes[0].speaker_key is None
    assert quotes[0].speaker_description == "the spokeswoman"


# --- unnamed speakers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "description"),
    [
        ("one GOP operative", "one GOP operative"),
        ("a spokesperson for the Kremlin", "a spokesperson for the Kremlin"),
        ("an official who asked not to be named", "an official who asked not to be named"),
        ("a Google spokesman", "a Google spokesman"),
    ],
)
def test_unnamed_speaker_keeps_its_description_not_an_organization(
    nlp: Language, subject: str, description: str
) -> None:
    text = f'"The numbers simply do not add up," {subject} said.'
    overrides = {"GOP": ("GOP", "organization"), "Google": ("Google", "organization")}
    docs = [zone(nlp, text)]
    quotes = extract_quotes(docs, build_entities(docs, overrides))
    assert quotes[0].speaker_key is None
    assert quotes[0].speaker_description == description


def test_plural_officials_of_a_country_speak_for_it(nlp: Language) -> None:
    text = '"The aircraft was hit by mistake," Iranian officials said on Saturday.'
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Iran")


def test_title_of_a_country_before_a_name_is_that_person(nlp: Language) -> None:
    text = 'Prime Minister of Canada Justin Trudeau said, "We will help the families."'
    overrides = {"Canada": ("Canada", "country"), "Justin Trudeau": ("Justin Trudeau", "person")}
    docs = [zone(nlp, text)]
    entities = build_entities(docs, overrides)
    quotes = extract_quotes(docs, entities)
    assert quotes[0].speaker_key == key_of(entities, "Justin Trudeau")


# --- surnames -------------------------------------------------------------------------------


def _without(entities: list[Entity], surface: str) -> list[Entity]:
    """The entities with every mention written exactly ``surface`` dropped, as when NER misses
    a lone surname."""
    kept = [
        replace(e, mentions=tuple(m for m in e.mentions if m.text != surface)) for e in entities
    ]
    return [e for e in kept if e.mentions]


def test_lone_surname_before_said_is_the_earlier_person(nlp: Language) -> None:
    text = (
        "Gayle King interviewed the singer on Monday morning.\n\n"
        '"It was the most honest conversation I have had," King said.'
    )
    docs = [zone(nlp, text)]
    entities = _without(build_entities(docs, {"Gayle King": ("Gayle King", "person")}), "King")
    quotes = extract_quotes(docs, entities)
    assert quotes[0].speaker_key == key_of(entities, "Gayle King")


def test_lone_surname_typed_as_organization_is_still_the_person(nlp: Language) -> None:
    text = (
        "Gayle King interviewed the singer on Monday morning.\n\n"
        '"It was the most honest conversation I have had," King said.'
    )
    overrides = {"Gayle King": ("Gayle King", "person"), "King": ("King", "organization")}
    docs = [zone(nlp, text)]
    entities = build_entities(docs, overrides)
    quotes = extract_quotes(docs, entities)
    assert quotes[0].speaker_key == key_of(entities, "Gayle King")


# --- titles of works ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'Director Lee Min-jun, whose film "Harvest Moon" won the top prize, said he was moved.',
        'Olivia Grant, who starred in "Quiet Streets", said she was thrilled by the award.',
        'The series "Fleabag" was praised by critics, the actress said on Sunday.',
        'Emma Stone said the novel "The Long Road Home" had changed her life.',
    ],
)
def test_quoted_title_of_a_work_is_not_a_quote(nlp: Language, text: str) -> None:
    quotes, _ = quotes_of(nlp, text)
    assert quotes == []


def test_short_title_cased_reply_is_still_a_quote(nlp: Language) -> None:
    quotes, entities = quotes_of(nlp, '"Thank You," Maria Lopez said to the crowd.')
    assert quotes[0].speaker_key == key_of(entities, "Maria Lopez")


# --- quote marks ----------------------------------------------------------------------------


def test_quote_reopened_after_a_sentence_end_is_one_quotation() -> None:
    text = 'Tom Harris added: "We played well. "The second half was our best," he said.'
    groups = find_quote_groups(text)
    assert [[text[p.start : p.end] for p in g.pieces] for g in groups] == [
        ["We played well. ", "The second half was our best,"]
    ]


def test_demonym_description_resolves_to_the_person_it_described(nlp: Language) -> None:
    text = (
        'American Andy Roddick lost in four sets on Sunday. "It is just tough," said the American.'
    )
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Andy Roddick")


def test_quote_split_by_an_inverted_cue_verb_gives_both_parts_to_the_speaker(
    nlp: Language,
) -> None:
    text = (
        '"A literate and qualified population," insisted Deputy Prime Minister Ali Demir, '
        '"will make a positive impact on the union."'
    )
    quotes, entities = quotes_of(nlp, text)
    assert len(quotes) == 2
    assert {q.speaker_key for q in quotes} == {key_of(entities, "Ali Demir")}


def test_a_document_that_states_is_no_speaker(nlp: Language) -> None:
    text = 'The broadcasting law states "no station shall operate without a licence."'
    quotes, _ = quotes_of(nlp, text)
    assert quotes[0].speaker_key is None
    assert quotes[0].speaker_description is None


def test_verb_after_a_quote_that_ended_its_sentence_is_not_its_cue(nlp: Language) -> None:
    text = (
        '"No end is in sight," said Carlos Mendes, a strategist at a bank. '
        '"The euro will reach new highs." Some analysts maintain the dollar will recover.'
    )
    quotes, entities = quotes_of(nlp, text)
    assert only(quotes, "The euro").speaker_key == key_of(entities, "Carlos Mendes")


def test_clause_ending_in_a_colon_introduces_the_quote_whatever_its_verb(nlp: Language) -> None:
    text = 'Governor Maria Lopez addressed the public: "No one should take this storm lightly."'
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Maria Lopez")


def test_participle_saying_takes_the_subject_of_its_clause(nlp: Language) -> None:
    text = 'Maria Lopez expressed a similar view, saying "we have never seen a storm like this."'
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Maria Lopez")


def test_statement_read_credits_whoever_issued_it(nlp: Language) -> None:
    text = '"The rules no longer apply," reads the statement of Judge Harold Baines.'
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Harold Baines")


def test_description_nobody_attached_is_the_person_just_named_as_subject(nlp: Language) -> None:
    text = (
        "Simon Harper said the band would tour again next year. "
        '"We would not want to lose our older fans," the singer said.'
    )
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Simon Harper")


def test_description_of_someone_else_is_not_the_last_subject(nlp: Language) -> None:
    text = (
        "Simon Harper, the band's drummer, said they would tour again next year. "
        '"We would not want to lose our older fans," the singer said.'
    )
    quotes, _ = quotes_of(nlp, text)
    assert quotes[0].speaker_key is None
    assert quotes[0].speaker_description == "the singer"


def test_colon_clause_wins_over_a_cue_verb_further_back(nlp: Language) -> None:
    text = (
        "Joe Biden called on the president to act, while Phil Collins saw a compromise as the "
        'best way: "I think that those countries should split the disputed area in half."'
    )
    quotes, entities = quotes_of(nlp, text)
    assert quotes[0].speaker_key == key_of(entities, "Phil Collins")


def test_statement_which_read_credits_whoever_released_it(nlp: Language) -> None:
    text = 'Acme Corp released a statement which read, "This ruling raises serious questions."'
    overrides = {"Acme Corp": ("Acme Corp", "organization")}
    docs = [zone(nlp, text)]
    entities = build_entities(docs, overrides)
    quotes = extract_quotes(docs, entities)
    assert quotes[0].speaker_key == key_of(entities, "Acme Corp")


def test_cue_verb_right_after_the_quote_wins_over_a_colon_before_it(nlp: Language) -> None:
    text = (
        "Bill Harmon gave us his own plan for the court:\n\n"
        '"The number of justices should be set at thirteen," says Anna Kowalski, '
        '"and the new justices should be chosen carefully."'
    )
    quotes, entities = quotes_of(nlp, text)
    assert only(quotes, "The number").speaker_key == key_of(entities, "Anna Kowalski")

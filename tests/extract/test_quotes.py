"""Quotes: quote marks, speakers by attribution verbs, channels, partial quotes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from spacy.language import Language

from app.extract.nlp import ZoneDoc, get_nlp
from app.extract.quotes import extract_quotes, find_quote_groups
from app.extract.types import Entity, Quote
from tests.corpus import corpus_path
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
    folder = corpus_path("wikinews")
    files = sorted(folder.glob("*.txt"))
    picked = [f for f in files if f.stat().st_size < 12_000][:limit]
    out = []
    for path in picked:
        lines = path.read_text(encoding="utf-8").split("\n")
        body = "\n".join(lines[3:]).strip()
        out.append((path, [zone(nlp, body), zone(nlp, lines[0], "title")]))
    return out


@pytest.mark.corpus
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

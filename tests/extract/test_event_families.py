"""Event trigger families beyond diplomacy and war (courts, offices, votes, prizes, disasters,
killings), negation, and statements read off attributed quotes. Run through the whole pipeline
so that entities come from the real extractor."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.extract.parse import parse_text
from app.extract.pipeline import extract_parsed, with_overrides
from app.extract.types import ExtractedArticle

PUBLISHED = datetime(2021, 9, 12, tzinfo=UTC)


def extract(text: str) -> ExtractedArticle:
    [article] = extract_parsed([with_overrides(parse_text(text), published_at=PUBLISHED)])
    return article


def described(article: ExtractedArticle) -> list[tuple[str, dict[str, str]]]:
    """(type, {participant name: role}) of every event."""
    names = {e.key: e.name for e in article.entities}
    return [(e.type, {names[p.entity_key]: p.role for p in e.participants}) for e in article.events]


def only_event(text: str) -> tuple[str, dict[str, str]]:
    events = described(extract(text))
    assert len(events) == 1, events
    return events[0]


def test_passive_sentence_is_a_legal_event_with_defendant_and_judge() -> None:
    kind, people = only_event(
        "Former lobbyist Paul Manafort was sentenced to seven years in prison by Judge "
        "Amy Berman Jackson on Wednesday."
    )
    assert kind == "other"
    assert people["Paul Manafort"] == "target"


def test_investigation_of_a_company_names_investigator_and_target() -> None:
    kind, people = only_event("The US Department of Justice is investigating Ford Motor Company.")
    assert kind == "other"
    assert people["Ford Motor Company"] == "target"
    assert people["US Department of Justice"] == "agent"


def test_charge_needs_a_crime() -> None:
    assert described(extract("Tesla will charge drivers of Model 3 cars in Norway less.")) == []


def test_prize_won_is_an_award_event_for_the_winner() -> None:
    kind, people = only_event("Kenyan runner Eliud Kipchoge won the Berlin Marathon in 2018.")
    assert kind == "other"
    assert people["Eliud Kipchoge"] == "agent"


def test_leadership_contest_won_is_an_election() -> None:
    kind, people = only_event("Boris Johnson won the leadership contest on Tuesday.")
    assert kind == "election"
    assert "Boris Johnson" in people


def test_storm_landfall_is_a_disaster_with_the_affected_country() -> None:
    events = described(extract("The storm made landfall in the Bahamas on Sunday."))
    assert [kind for kind, _ in events] == ["other"]
    assert "affected" in events[0][1].values()


def test_storm_striking_a_state_is_not_an_attack() -> None:
    events = described(extract("A powerful hurricane struck Florida on Monday."))
    assert all(kind != "attack" for kind, _ in events)


def test_shooting_down_an_airliner_is_an_attack() -> None:
    kind, people = only_event("Iran said its military shot down the Ukrainian airliner by mistake.")
    assert kind == "attack"
    assert people.get("Ukraine") == "target"


def test_a_state_killing_a_person_is_an_attack_on_him() -> None:
    text = "The United States killed Iranian general Qasem Soleimani in Baghdad."
    kinds = dict(described(extract(text)))
    assert kinds["attack"].get("Qasem Soleimani") == "target"


def test_killed_by_illness_is_no_attack() -> None:
    assert described(extract("Cancer killed the singer in 2019.")) == []


def test_negated_meeting_is_not_an_event() -> None:
    assert described(extract("Vladimir Putin did not meet Recep Tayyip Erdogan in Sochi.")) == []


def test_resigning_in_protest_is_not_a_protest() -> None:
    events = described(extract("Brazilian minister Sergio Moro resigned in protest on Friday."))
    assert all(kind != "protest" for kind, _ in events)


def test_voting_to_elect_a_leader_is_an_election() -> None:
    events = described(
        extract("Members of the Labour Party voted on Saturday to elect Keir Starmer as leader.")
    )
    assert "election" in [kind for kind, _ in events]


def test_parliament_vote_is_an_event_of_the_parliament() -> None:
    kind, people = only_event("The Iraqi Parliament voted on Sunday to expel foreign troops.")
    assert kind == "other"
    assert list(people.values()) == ["agent"]


@pytest.fixture(scope="module")
def quoted() -> ExtractedArticle:
    return extract(
        'German Chancellor Angela Merkel said on Monday: "We will not accept this." '
        '"It is a sad day," Merkel added. "Nobody knows," an official said.'
    )


def test_quoted_speaker_made_one_statement(quoted: ExtractedArticle) -> None:
    statements = [e for e in quoted.events if e.type == "statement"]
    names = {e.key: e.name for e in quoted.entities}
    assert [[names[p.entity_key] for p in e.participants] for e in statements] == [
        ["Angela Merkel"]
    ]


def test_statement_keeps_each_quote_sentence_as_evidence(quoted: ExtractedArticle) -> None:
    [statement] = [e for e in quoted.events if e.type == "statement"]
    assert len(statement.evidence) == 2
    assert all("Merkel" in text for text in statement.evidence_text)


def test_unattributed_quote_makes_no_statement() -> None:
    article = extract('"Nobody knows what happens next," a source close to the talks said.')
    assert [e for e in article.events if e.type == "statement"] == []


def test_accident_in_a_named_place_that_kills_is_no_attack() -> None:
    """ "Florida" names where the fire was, not who attacked."""
    events = described(extract("A Florida highway fire killed five drivers on Sunday."))
    assert all(kind != "attack" for kind, _ in events)

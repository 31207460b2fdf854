"""Roles: titles before or in apposition to a person's name, with their country or organization."""

from pathlib import Path

from app.extract.entities import extract_entities
from app.extract.nlp import analyse
from app.extract.parse import parse_text
from app.extract.types import Entity, ParsedArticle, Role

SEED = Path(__file__).resolve().parents[2] / "seed" / "dw-2021-09-12-lukashenko-arms-deal.txt"


def roles_of(article: ParsedArticle) -> set[tuple[str, str, str | None]]:
    """(person name, title, of name) for every role found."""
    entities, roles = extract_entities(analyse([article])[0])
    return {_readable(r, entities) for r in roles}


def _readable(role: Role, entities: list[Entity]) -> tuple[str, str, str | None]:
    names = {e.key: e.name for e in entities}
    return names[role.person_key], role.title, names.get(role.of_key) if role.of_key else None


def roles_in(text: str) -> set[tuple[str, str, str | None]]:
    return roles_of(ParsedArticle(body=text))


def qualified_in(text: str) -> set[tuple[str, str | None, str, str | None]]:
    """(person name, qualifier, title, of name) for every role found."""
    entities, roles = extract_entities(analyse([ParsedArticle(body=text)])[0])
    names = {e.key: e.name for e in entities}
    return {
        (names[r.person_key], r.qualifier, r.title, names.get(r.of_key) if r.of_key else None)
        for r in roles
    }


def test_seed_roles() -> None:
    found = roles_of(parse_text(SEED.read_text(encoding="utf-8")))
    assert ("Vladimir Putin", "President", "Russia") in found
    assert ("Mateusz Morawiecki", "Prime Minister", "Poland") in found
    assert ("Alexander Lukashenko", "President", "Belarus") in found


def test_counterpart_and_strongman_are_not_titles() -> None:
    found = roles_in("His Hungarian counterpart Viktor Orban met Chadian strongman Idriss Deby.")
    assert found == set()


def test_demonym_title_name() -> None:
    assert roles_in("German Chancellor Olaf Scholz flew to Rome.") == {
        ("Olaf Scholz", "Chancellor", "Germany")
    }


def test_country_with_of_phrase_title() -> None:
    found = roles_in("US Secretary of State Antony Blinken arrived in Tokyo.")
    assert ("Antony Blinken", "Secretary of State", "United States") in found


def test_title_without_qualifier_has_no_of() -> None:
    assert roles_in("Foreign Minister Sergei Lavrov spoke on Friday.") == {
        ("Sergei Lavrov", "Foreign Minister", None)
    }


def test_organization_before_title() -> None:
    assert ("Sundar Pichai", "CEO", "Google") in roles_in("Google CEO Sundar Pichai testified.")


def test_appositive_title_of_organization() -> None:
    found = roles_in("Mary Barra, the chief executive of General Motors, announced the recall.")
    assert ("Mary Barra", "Chief Executive", "General Motors") in found


def test_appositive_possessive_country() -> None:
    found = roles_in("Cyril Ramaphosa, South Africa's president, opened the summit.")
    assert ("Cyril Ramaphosa", "President", "South Africa") in found


def test_role_evidence_span_covers_title_and_name() -> None:
    article = ParsedArticle(body="On Monday, Polish Prime Minister Donald Tusk visited Kyiv.")
    _, roles = extract_entities(analyse([article])[0])
    assert len(roles) == 1
    role = roles[0]
    assert article.body[role.span.start : role.span.end] == "Polish Prime Minister Donald Tusk"
    assert role.text == "Polish Prime Minister Donald Tusk"


def test_hyphenated_title_is_kept_whole() -> None:
    found = roles_in("Microsoft co-founder Bill Gates gave a speech.")
    assert ("Bill Gates", "Co-Founder", "Microsoft") in found


def test_no_role_without_a_person() -> None:
    assert roles_in("The Prime Minister of Spain said the talks had failed.") == set()


def test_copula_title_of_country() -> None:
    found = roles_in("Emmanuel Macron is the president of France.")
    assert ("Emmanuel Macron", "President", "France") in found


def test_negated_copula_is_no_role() -> None:
    assert roles_in("Mark Rutte is not the leader of Belgium.") == set()


def test_former_is_not_part_of_the_title() -> None:
    found = roles_in("Former Foreign Secretary Boris Johnson spoke in London on Monday.")
    assert ("Boris Johnson", "Foreign Secretary", None) in found


def test_title_of_country_glued_to_the_name_is_split() -> None:
    found = roles_in("The President of Ukraine Volodymyr Zelenskyy said the crash was a tragedy.")
    assert ("Volodymyr Zelenskyy", "President", "Ukraine") in found


def test_professor_at_a_university() -> None:
    found = roles_in("James Peebles, a professor at Princeton University, shared the prize.")
    assert ("James Peebles", "Professor", "Princeton University") in found


# --- qualifiers: kept on the role, out of the title -----------------------------------------


def test_former_in_an_apposition_is_kept_as_qualifier() -> None:
    text = "Dana Reyes, a former president of the Riverside Utilities Commission, resigned."
    found = qualified_in(text)
    assert ("Dana Reyes", "former", "President", "Riverside Utilities Commission") in found


def test_former_before_a_title_and_name_is_kept_as_qualifier() -> None:
    found = qualified_in("Former Foreign Secretary Boris Johnson spoke in London on Monday.")
    assert found == {("Boris Johnson", "former", "Foreign Secretary", None)}


def test_former_before_the_country_of_a_title() -> None:
    found = qualified_in("He met former US President Bill Clinton in Dublin.")
    assert ("Bill Clinton", "former", "President", "United States") in found


def test_former_between_a_possessive_country_and_its_title() -> None:
    found = qualified_in("Britain's former prime minister Theresa May spoke in Leeds.")
    assert ("Theresa May", "former", "Prime Minister", "United Kingdom") in found


def test_then_hyphenated_to_its_title() -> None:
    found = qualified_in("Then-President Barack Obama signed the law in 2010.")
    assert ("Barack Obama", "then", "President", None) in found


def test_then_after_a_determiner() -> None:
    found = qualified_in("The deal was signed by the then prime minister Tony Blair.")
    assert ("Tony Blair", "then", "Prime Minister", None) in found


def test_then_as_an_adverb_is_no_qualifier() -> None:
    found = qualified_in("The crowd cheered and then President Barack Obama spoke.")
    assert ("Barack Obama", None, "President", None) in found


def test_ex_hyphenated_is_former() -> None:
    found = qualified_in("The ex-chairman Tom Brown left the club on Friday.")
    assert ("Tom Brown", "former", "Chairman", None) in found


def test_acting_interim_outgoing_incoming_caretaker_late() -> None:
    found = qualified_in(
        "Acting Prime Minister Ann Lee met interim president Bob Marsh, outgoing chief "
        "executive Carla Diaz, incoming mayor Eric Adams and caretaker Prime Minister Paul "
        "Novak at a memorial to the late President John F. Kennedy."
    )
    assert {q for _, q, _, _ in found} >= {
        "acting",
        "interim",
        "outgoing",
        "incoming",
        "caretaker",
        "late",
    }
    assert ("Eric Adams", "incoming", "Mayor", None) in found


def test_a_former_role_and_a_current_one_are_two_facts() -> None:
    found = qualified_in(
        "Former Home Secretary Jane Doe attended. Jane Doe, the MP for Bristol West, spoke."
    )
    assert ("Jane Doe", "former", "Home Secretary", None) in found
    assert any(q is None and title == "MP" for name, q, title, _ in found if name == "Jane Doe")


def test_a_former_role_in_a_copula() -> None:
    found = qualified_in("Maria Lopez is a former minister of Spain.")
    assert ("Maria Lopez", "former", "Minister", "Spain") in found


# --- abbreviated titles and honorifics --------------------------------------------------------


def test_abbreviated_legislators() -> None:
    found = roles_in("Rep. Jane Doe and Sen. John Smith voted against the bill.")
    assert found >= {("Jane Doe", "Representative", None), ("John Smith", "Senator", None)}


def test_state_senator_abbreviated() -> None:
    found = roles_in("The bill was written by state Sen. Mary Jones of Dayton.")
    assert ("Mary Jones", "State Senator", None) in found


def test_abbreviated_governor_and_lieutenant_governor() -> None:
    found = roles_in("Gov. Tom Wolf and Lt. Gov. Dan Patrick spoke first.")
    assert found >= {("Tom Wolf", "Governor", None), ("Dan Patrick", "Lieutenant Governor", None)}


def test_abbreviated_military_ranks() -> None:
    found = roles_in(
        "Gen. Mark Milley, Lt. Gen. James Dickinson, Col. Ann Wright and Adm. John Aquilino "
        "met the press."
    )
    assert found >= {
        ("Mark Milley", "General", None),
        ("James Dickinson", "Lieutenant General", None),
        ("Ann Wright", "Colonel", None),
        ("John Aquilino", "Admiral", None),
    }


def test_abbreviation_the_tokenizer_splits_from_its_period() -> None:
    """ "Sgt." and "Supt." come out as "Sgt", "." and the sentence splitter cuts after them."""
    found = roles_in("Sgt. Peter Hall and Supt. David Ross led the inquiry.")
    assert found >= {("Peter Hall", "Sergeant", None), ("David Ross", "Superintendent", None)}


def test_abbreviation_without_its_period_is_no_person() -> None:
    entities, roles = extract_entities(
        analyse([ParsedArticle(body="Insp. Sarah Cole and Supt. David Ross led the inquiry.")])[0]
    )
    assert {e.name for e in entities if e.type == "person"} == {"Sarah Cole", "David Ross"}
    assert len(roles) == 2


def test_doctor_professor_reverend() -> None:
    found = roles_in("Dr. Anthony Fauci, Prof. Mary Beard and Rev. Jesse Jackson spoke.")
    assert found >= {
        ("Anthony Fauci", "Doctor", None),
        ("Mary Beard", "Professor", None),
        ("Jesse Jackson", "Reverend", None),
    }


def test_mayor_before_a_name() -> None:
    assert roles_in("Mayor Bill de Blasio opened the park.") == {("Bill de Blasio", "Mayor", None)}


# --- MPs and party words ----------------------------------------------------------------------


def test_mp_after_the_name() -> None:
    assert ("Diane Abbott", "MP", None) in roles_in("Diane Abbott MP said the plan would fail.")


def test_mp_for_a_constituency_in_apposition() -> None:
    found = roles_in("John Smith, MP for Bristol West, resigned on Monday.")
    assert any(p == "John Smith" and t == "MP" for p, t, _ in found)


def test_party_word_before_mp_is_not_part_of_the_title() -> None:
    found = roles_in("The Conservative MP Jane Doe and Labour MP John Smith voted together.")
    assert found >= {("Jane Doe", "MP", None), ("John Smith", "MP", None)}


def test_party_entity_before_mp_is_its_of() -> None:
    found = roles_in("SNP MP John Smith criticised the budget.")
    assert ("John Smith", "MP", "SNP") in found


def test_labor_before_a_secretary_is_the_department() -> None:
    """ "Labor" tagged ORG: a party before a legislator's title, a department before another."""
    found = roles_in("Labor Secretary Alex Acosta resigned.")
    assert found == {("Alex Acosta", "Labor Secretary", None)}


def test_honorific_gives_way_to_the_title_before_it() -> None:
    found = roles_in("Union spokesman Dr Ravi Patel said talks had failed.")
    assert ("Ravi Patel", "Spokesman", None) in found
    assert not any(title == "Doctor" or "Doctor" in title for _, title, _ in found)


def test_party_word_inside_another_title_is_dropped() -> None:
    found = qualified_in("The ex-Tory education secretary Gillian Shepherd spoke.")
    assert found == {("Gillian Shepherd", "former", "Education Secretary", None)}


# --- department titles ------------------------------------------------------------------------


def test_department_title_is_read_whole() -> None:
    found = roles_in("Transport Secretary Grant Shapps announced the rules.")
    assert found == {("Grant Shapps", "Transport Secretary", None)}


def test_department_word_tagged_as_organization_stays_in_the_title() -> None:
    """en_core_web_sm tags "Justice" and "Health" ORG here: still no role of an organization."""
    found = roles_in("Justice Secretary Robert Buckland and Health Secretary Matt Hancock spoke.")
    assert found == {
        ("Robert Buckland", "Justice Secretary", None),
        ("Matt Hancock", "Health Secretary", None),
    }


def test_defence_minister_tagged_as_organization() -> None:
    found = roles_in("Defence Minister Ben Wallace visited the base.")
    assert found == {("Ben Wallace", "Defence Minister", None)}


def test_department_title_after_a_country_keeps_the_country() -> None:
    found = roles_in("US Defense Secretary Lloyd Austin flew to Manila.")
    assert ("Lloyd Austin", "Defense Secretary", "United States") in found


def test_business_secretary_is_a_department_title() -> None:
    assert ("Kwasi Kwarteng", "Business Secretary", None) in roles_in(
        "Business Secretary Kwasi Kwarteng said prices would rise."
    )


def test_portfolio_of_phrase_in_an_apposition_is_part_of_the_title() -> None:
    found = roles_in("She wrote to Elaine Chao, the Secretary of Transportation, on Monday.")
    assert ("Elaine Chao", "Secretary of Transportation", None) in found


def test_honorific_is_no_role_of_a_person_with_a_post() -> None:
    found = roles_in("Dr. Jane Roe, the director of the Acme Institute, said the risk was low.")
    assert found == {("Jane Roe", "Director", "Acme Institute")}


def test_co_chairman_in_an_apposition() -> None:
    found = roles_in("Liam Fox, Tory co-chairman, said the party was ready.")
    assert any(p == "Liam Fox" and t == "Co-Chairman" for p, t, _ in found)

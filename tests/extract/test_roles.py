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

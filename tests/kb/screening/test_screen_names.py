"""screen_names over stored entities: what is read, countries, ranking, refusals, the cache."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Entity
from app.errors import InvalidInput
from app.extract import types as x
from app.extract.pipeline import EXTRACTOR_VERSION, content_hash
from app.kb import curate
from app.kb.ingest import ingest_article
from app.kb.screening import IndexCache, NameQuery, country_code, screen_names
from tests.factories import entity, meeting_article


def entity_id(session: Session, name: str) -> int:
    found = session.scalar(select(Entity.id).where(Entity.name == name))
    assert found is not None
    return found


def people_article(*names: str) -> x.ExtractedArticle:
    """An article naming each person once (no roles, so no known country)."""
    body = " and ".join(names) + " spoke."
    parsed = x.ParsedArticle(body=body, title=names[0], source_name="Test Wire")
    people = tuple(entity(body, f"k{i}", "person", n) for i, n in enumerate(names))
    return x.ExtractedArticle(
        parsed=parsed,
        content_hash=content_hash(parsed),
        extractor_version=EXTRACTOR_VERSION,
        entities=people,
    )


def ids(session: Session, name: str, kind: str = "person", **options: object) -> list[int]:
    query = NameQuery(name, kind, **options)  # type: ignore[arg-type]
    return [m.id for m in screen_names(session, [query]).results[0].matches]


def test_stored_names_match_and_countries_are_skipped(session: Session) -> None:
    ingest_article(session, meeting_article())
    screening = screen_names(session, [NameQuery("Владимир Путин", "person")])
    assert [m.name for m in screening.results[0].matches] == ["Vladimir Putin"]
    assert screening.entities == 2  # the two people; Russia is a country


def test_a_role_gives_a_person_a_country(session: Session) -> None:
    ingest_article(session, meeting_article())  # Putin is President of Russia
    match = screen_names(session, [NameQuery("Vladimir Putin", "person", "Russia")])
    assert match.results[0].country_code == "RU"
    assert match.results[0].matches[0].country_match is True


def test_a_known_other_country_lowers_the_score(session: Session) -> None:
    ingest_article(session, meeting_article())
    match = screen_names(session, [NameQuery("Vladimir Putin", "person", "POL")])
    first = match.results[0].matches[0]
    assert (first.country_match, first.score) == (False, 0.9)


def test_an_unknown_country_of_the_entity_changes_nothing(session: Session) -> None:
    ingest_article(session, meeting_article())
    match = screen_names(session, [NameQuery("Alexander Lukashenko", "person", "PL")])
    first = match.results[0].matches[0]
    assert (first.country_match, first.score) == (None, 1.0)


def test_matches_come_best_first_up_to_the_limit(session: Session) -> None:
    ingest_article(session, people_article("Anna Berfer", "Anna Berfa", "Ana Berfer", "A. Berfer"))
    screening = screen_names(session, [NameQuery("Anna Berfer", "person")], limit=2)
    matches = screening.results[0].matches
    assert matches[0].name == "Anna Berfer"
    assert len(matches) == 2
    assert matches[0].score > matches[1].score


def test_merged_entities_are_not_screened(session: Session) -> None:
    ingest_article(session, people_article("Anna Berfer", "Anna Berfa"))
    curate.merge_entities(
        session, entity_id(session, "Anna Berfa"), entity_id(session, "Anna Berfer")
    )
    assert ids(session, "Anna Berfa") == [entity_id(session, "Anna Berfer")]


def test_the_cache_is_rebuilt_after_a_write(session: Session) -> None:
    ingest_article(session, people_article("Anna Berfer"))
    cache = IndexCache()
    query = [NameQuery("Annushka", "person")]
    assert screen_names(session, query, cache=cache).results[0].matches == []
    curate.update_entity(
        session, entity_id(session, "Anna Berfer"), curate.EntityEdit(add_aliases=["Annushka"])
    )
    found = screen_names(session, query, cache=cache).results[0].matches
    assert [(m.name, m.reason) for m in found] == [("Anna Berfer", "exact")]


def test_the_cache_is_reused_at_the_same_version(session: Session) -> None:
    ingest_article(session, people_article("Anna Berfer"))
    cache = IndexCache()
    first = cache.get(session)
    assert cache.get(session) is first


@pytest.mark.parametrize(
    ("given", "code"),
    [("by", "BY"), ("BLR", "BY"), ("Belarus", "BY"), ("Russia", "RU"), ("the UK", "GB")],
)
def test_countries_are_read_as_codes_or_names(given: str, code: str) -> None:
    assert country_code(given) == code


def test_bad_names_are_refused_together_with_their_positions(session: Session) -> None:
    queries = [
        NameQuery("Anna", "person"),
        NameQuery(" ", "person"),
        NameQuery("Anna", "ship"),
        NameQuery("Anna", "person", "Atlantis"),
    ]
    with pytest.raises(InvalidInput) as refused:
        screen_names(session, queries)
    assert [e["loc"][2:] for e in refused.value.errors] == [
        [1, "name"],
        [2, "kind"],
        [3, "country"],
    ]


def test_more_than_500_names_are_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match="500"):
        screen_names(session, [NameQuery("Anna", "person")] * 501)

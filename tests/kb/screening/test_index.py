"""The name index: each reason a name can match, its score, and what it must not match."""

import pytest

from app.kb.screening.index import EntityRow, Hit, ScreeningIndex

PEOPLE = (
    EntityRow(1, "person", "Vladimir Putin", ("Putin",)),
    EntityRow(2, "person", "Alexander Lukashenko", ("Lukashenko",)),
    EntityRow(3, "person", "José Álvarez"),
    EntityRow(4, "person", "V. Zelensky"),
    EntityRow(5, "person", "Anna Berfer"),
    EntityRow(6, "person", "Mark Berfer"),
    EntityRow(7, "person", "Łukasz Nowak"),
)
ORGANIZATIONS = (
    EntityRow(20, "organization", "North Atlantic Treaty Organization", ("NATO",)),
    EntityRow(21, "organization", "OPEC"),
    EntityRow(22, "organization", "The Kremlin"),
)


@pytest.fixture(scope="module")
def index() -> ScreeningIndex:
    return ScreeningIndex.build([*PEOPLE, *ORGANIZATIONS])


def search(index: ScreeningIndex, kind: str, name: str, threshold: float = 0.7) -> list[Hit]:
    hits = index.kinds[kind].search([name], threshold=threshold)
    return sorted(hits.values(), key=lambda h: (-h.score, h.entity.id))


def best(index: ScreeningIndex, kind: str, name: str) -> tuple[int, str, float]:
    hit = search(index, kind, name)[0]
    return hit.entity.id, hit.reason, hit.score


def test_the_same_text_is_exact(index: ScreeningIndex) -> None:
    assert best(index, "person", "Vladimir  Putin") == (1, "exact", 1.0)


def test_an_alias_matches_exactly_and_says_which(index: ScreeningIndex) -> None:
    hit = search(index, "person", "Lukashenko")[0]
    assert (hit.entity.id, hit.reason, hit.matched) == (2, "exact", "Lukashenko")


def test_case_and_accents_are_folded(index: ScreeningIndex) -> None:
    assert best(index, "person", "JOSE ALVAREZ") == (3, "folded", 0.97)


def test_a_leading_the_is_folded_away(index: ScreeningIndex) -> None:
    assert best(index, "organization", "Kremlin") == (22, "folded", 0.97)


def test_cyrillic_is_transliterated(index: ScreeningIndex) -> None:
    assert best(index, "person", "Владимир Путин") == (1, "transliteration", 0.95)


def test_letters_without_a_decomposition_are_transliterated(index: ScreeningIndex) -> None:
    assert best(index, "person", "Lukasz Nowak") == (7, "transliteration", 0.95)


def test_reordered_words_match_by_token_order(index: ScreeningIndex) -> None:
    assert best(index, "person", "Putin, Vladimir") == (1, "token_order", 0.92)


def test_an_initial_matches_the_full_given_name(index: ScreeningIndex) -> None:
    assert best(index, "person", "V. Putin") == (1, "initials", 0.85)


def test_a_full_name_matches_a_stored_abbreviation(index: ScreeningIndex) -> None:
    assert best(index, "person", "Volodymyr Zelensky") == (4, "initials", 0.85)


def test_initial_a_is_not_read_as_an_article(index: ScreeningIndex) -> None:
    assert [h.entity.id for h in search(index, "person", "A. Berfer")] == [5]


def test_an_acronym_matches_the_organization(index: ScreeningIndex) -> None:
    hit = search(index, "organization", "Organization of the Petroleum Exporting Countries")[0]
    assert (hit.entity.id, hit.reason) == (21, "initials")


def test_a_typo_matches_by_edit_distance_below_the_cap(index: ScreeningIndex) -> None:
    entity_id, reason, score = best(index, "person", "Alexander Lukaschenko")
    assert (entity_id, reason) == (2, "edit_distance")
    assert 0.8 < score <= 0.9


def test_the_threshold_drops_weaker_matches(index: ScreeningIndex) -> None:
    assert search(index, "person", "Alexander Lukaschenko", threshold=0.95) == []


def test_kinds_do_not_mix(index: ScreeningIndex) -> None:
    assert search(index, "organization", "Vladimir Putin") == []


def test_an_unrelated_name_matches_nothing(index: ScreeningIndex) -> None:
    assert search(index, "person", "Quentin Tarantino") == []


def test_the_strongest_reason_wins_for_an_entity(index: ScreeningIndex) -> None:
    hits = index.kinds["person"].search(["V. Putin", "Vladimir Putin"], threshold=0.7)
    putin = next(h for h in hits.values() if h.entity.id == 1)
    assert (putin.reason, putin.query_form) == ("exact", "Vladimir Putin")

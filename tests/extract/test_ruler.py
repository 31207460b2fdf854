"""The EntityRuler patterns: weapons, named exercises and the gazetteer, before spaCy's NER."""

import pytest
from spacy.language import Language

from app.extract.nlp import PATTERNS_DIR, get_nlp
from app.extract.ruler import load_patterns


@pytest.fixture(scope="module")
def nlp() -> Language:
    return get_nlp()


def labels(nlp: Language, text: str) -> dict[str, str]:
    return {ent.text: ent.label_ for ent in nlp(text).ents}


def test_every_patterns_file_is_loaded(nlp: Language) -> None:
    ruler = nlp.get_pipe("entity_ruler")
    assert len(ruler.patterns) == len(load_patterns(PATTERNS_DIR))  # type: ignore[attr-defined]
    assert {p["label"] for p in ruler.patterns} >= {"WEAPON", "EVENT", "ORG", "FAC", "PRODUCT"}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "designation", ["S-300", "Su-57", "MiG-31", "F-35", "T-90", "J-20", "B-52"]
)
def test_designations_are_weapons(nlp: Language, designation: str) -> None:
    found = labels(nlp, f"The country bought {designation} from its ally last year.")
    assert found.get(designation) == "WEAPON"


def test_plural_designation_is_a_weapon(nlp: Language) -> None:
    assert labels(nlp, "Norway will donate F-16s to the air force.").get("F-16s") == "WEAPON"


def test_unknown_designation_before_a_weapon_noun_keeps_only_the_name(nlp: Language) -> None:
    found = labels(nlp, "The navy tested its new XQ-58 drones off the coast.")
    assert found.get("XQ-58") == "WEAPON"
    assert "XQ-58 drones" not in found


def test_named_weapons_from_the_gazetteer(nlp: Language) -> None:
    found = labels(nlp, "Kyiv asked for HIMARS, Bayraktar TB2 drones and Kalibr cruise missiles.")
    assert found.get("HIMARS") == "WEAPON"
    assert found.get("Bayraktar TB2") == "WEAPON"
    assert found.get("Kalibr") == "WEAPON"


def test_ambiguous_weapon_name_needs_a_weapon_noun(nlp: Language) -> None:
    assert labels(nlp, "Germany sent a Patriot battery to Slovakia.").get("Patriot") == "WEAPON"
    assert labels(nlp, "The Patriot newspaper criticised the plan.").get("Patriot") != "WEAPON"


def test_covid_and_school_grades_are_not_weapons(nlp: Language) -> None:
    found = labels(nlp, "Covid-19 closed K-12 schools across Ohio.")
    assert "WEAPON" not in found.values()


def test_name_hyphen_year_is_an_event(nlp: Language) -> None:
    assert (
        labels(nlp, "Troops gathered for Vostok-2022 in the far east.").get("Vostok-2022")
        == "EVENT"
    )


def test_name_and_year_before_exercise_words_is_an_event(nlp: Language) -> None:
    found = labels(nlp, "China joined the Tsentr 2019 strategic exercises in Orenburg.")
    assert found.get("Tsentr 2019") == "EVENT"


def test_capitalized_name_before_drills_is_an_event(nlp: Language) -> None:
    found = labels(nlp, "Ukraine hosted the Sea Breeze drills in the Black Sea.")
    assert found.get("Sea Breeze") == "EVENT"


def test_nationality_before_drills_is_not_an_event(nlp: Language) -> None:
    found = labels(nlp, "Officials watched Chinese naval drills near Taiwan.")
    assert found.get("Chinese") == "NORP"


def test_well_known_exercises_without_context(nlp: Language) -> None:
    found = labels(
        nlp, "Ships left Pearl Harbor for RIMPAC while Trident Juncture began in Norway."
    )
    assert found.get("RIMPAC") == "EVENT"
    assert found.get("Trident Juncture") == "EVENT"


def test_gazetteer_types(nlp: Language) -> None:
    found = labels(nlp, "The Kremlin told NATO and the EU that Telegram would be blocked.")
    assert found.get("Kremlin") == "FAC"
    assert found.get("NATO") == "ORG"
    assert found.get("EU") == "ORG"
    assert found.get("Telegram") == "PRODUCT"

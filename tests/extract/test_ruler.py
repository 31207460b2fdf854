"""The EntityRuler patterns: weapons, named exercises and the gazetteer, before spaCy's NER."""

import json

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from app.corpora import iter_wikinews
from app.extract.document import parse_document
from app.extract.nlp import PATTERNS_DIR, get_nlp
from app.extract.ruler import compact_patterns, load_patterns
from tests.corpus import FIXTURE_CORPUS


@pytest.fixture(scope="module")
def nlp() -> Language:
    return get_nlp()


def labels(nlp: Language, text: str) -> dict[str, str]:
    return {ent.text: ent.label_ for ent in nlp(text).ents}


def test_every_patterns_file_is_loaded(nlp: Language) -> None:
    ruler = nlp.get_pipe("entity_ruler")
    compacted = compact_patterns(load_patterns(PATTERNS_DIR))
    as_json = [json.dumps(p, sort_keys=True) for p in ruler.patterns]  # type: ignore[attr-defined]
    assert sorted(as_json) == sorted(json.dumps(p, sort_keys=True) for p in compacted)
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


def test_compaction_leaves_few_token_patterns() -> None:
    patterns = load_patterns(PATTERNS_DIR)
    compacted = compact_patterns(patterns)
    token_patterns = [p for p in compacted if not isinstance(p["pattern"], str)]
    assert len(token_patterns) <= 12 < sum(not isinstance(p["pattern"], str) for p in patterns)
    assert {p["label"] for p in compacted} == {p["label"] for p in patterns}


def _matched(nlp: Language, docs: list[Doc], patterns: list[dict[str, object]]) -> list[object]:
    ruler = nlp.add_pipe("entity_ruler", name="ruler_under_test", config={"overwrite_ents": True})
    try:
        ruler.add_patterns(patterns)  # type: ignore[attr-defined]
        return [[(e.start, e.end, e.label_, e.ent_id_) for e in ruler(d.copy()).ents] for d in docs]
    finally:
        nlp.remove_pipe("ruler_under_test")


def test_compacted_patterns_match_what_the_files_say() -> None:
    """On real news (and the designations above), compaction changes no match."""
    nlp = get_nlp()
    texts = [
        "Troops gathered for Vostok-2022 and Tsentr 2019 strategic exercises; Trident Juncture,"
        " Defender-Europe 21, Cobra Gold 2020 and RIMPAC followed. Germany sent a Patriot"
        " battery and Kalibr cruise missiles; Javelin anti-tank missiles came from the US.",
        *(
            text
            for doc in iter_wikinews(FIXTURE_CORPUS)
            for _, _, text in parse_document(text=doc.text, title=doc.title).zone_texts()
        ),
    ]
    with nlp.select_pipes(disable=["entity_ruler", "newskb_trim_context", "ner"]):
        docs = list(nlp.pipe(texts))
    patterns = load_patterns(PATTERNS_DIR)
    expected = _matched(nlp, docs, patterns)
    assert any(expected), "the patterns matched nothing: the comparison would prove nothing"
    assert _matched(nlp, docs, compact_patterns(patterns)) == expected

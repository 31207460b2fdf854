"""Which language an article is in, and which pipeline (if any) may read it.

spaCy-free, so that the read path can say what an article's language gets without loading a
model. The pipelines are data (``patterns/languages.json``): a language without an entry is
stored and searchable, and no pipeline runs on it. Detection is py3langid's (decision record
0008): about 0.3 ms for a short article, about 100 MiB, offline; loaded at the first detection.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

LANGUAGES_JSON = Path(__file__).parent / "patterns" / "languages.json"
# A text the detector is unsure about (short headlines, lists of names) is read as this.
FALLBACK_LANGUAGE = "en"
# py3langid's probability (normalized over the languages it may answer) below which it is unsure.
MIN_CONFIDENCE = 0.5
# The detector reads the title and the start of the body: enough to decide, and fast.
DETECT_CHARS = 3000

_TAG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")

Rules = Literal["english", "generic"]


@dataclass(frozen=True, slots=True)
class Pipeline:
    """How one language is read: its spaCy models, its rules and the facts it yields."""

    language: str
    name: str
    rules: Rules
    models: str
    extracts: tuple[str, ...]
    text_search: str


@dataclass(frozen=True, slots=True)
class ExtractionStatus:
    """What extraction did with an article of a language."""

    status: Literal["extracted", "skipped"]
    extracts: tuple[str, ...]
    reason: str | None = None


@lru_cache(maxsize=1)
def _registry() -> tuple[dict[str, Pipeline], dict[str, str]]:
    data: dict[str, Any] = json.loads(LANGUAGES_JSON.read_text("utf-8"))
    pipelines = {
        code: Pipeline(
            language=code,
            name=entry["name"],
            rules=entry["rules"],
            models=entry["models"],
            extracts=tuple(entry["extracts"]),
            text_search=entry["text_search"],
        )
        for code, entry in data["pipelines"].items()
    }
    return pipelines, dict(data.get("aliases", {}))


def pipelines() -> dict[str, Pipeline]:
    """Every language with a pipeline, by code."""
    return dict(_registry()[0])


def pipeline_for(language: str) -> Pipeline | None:
    return _registry()[0].get(language)


def extraction_status(language: str) -> ExtractionStatus:
    """``extracted`` with the facts a pipeline yields, or ``skipped`` and why."""
    found = pipeline_for(language)
    if found is None:
        return ExtractionStatus("skipped", (), f"no pipeline for language '{language}'")
    return ExtractionStatus("extracted", found.extracts)


def normalize_tag(tag: str) -> str | None:
    """The primary subtag of a language tag ("fr-CA" → "fr"), None when it is not one."""
    tag = tag.strip().lower().replace("_", "-")
    if not _TAG.fullmatch(tag):
        return None
    primary = tag.split("-")[0]
    return _registry()[1].get(primary, primary)


def detect_language(text: str) -> str:
    """The language of ``text`` (ISO 639-1 where it has one), ``FALLBACK_LANGUAGE`` when the
    detector is unsure."""
    code, confidence = _identifier().classify(text[:DETECT_CHARS])
    if confidence < MIN_CONFIDENCE:
        return FALLBACK_LANGUAGE
    return normalize_tag(str(code)) or FALLBACK_LANGUAGE


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid's model (a second to load): only where extraction runs.

    Restricted to the languages with an ISO 639-1 code (116 of its 142): the others are
    regional varieties and creoles (Nigerian Pidgin, Wu Chinese, Venetian...) that it picked
    for English result tables and short Chinese or Spanish texts.
    """
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages([code for code in identifier.nb_classes if len(code) == 2])
    return identifier


# The first extractor version that detected languages: older articles were all stored as "en"
# (or as their page's ``lang``), so re-extracting one detects its language again.
DETECTED_SINCE = (0, 3, 0)


def language_was_detected(extractor_version: str) -> bool:
    """Whether an article stored by ``extractor_version`` has a stated or detected language."""
    try:
        version = tuple(int(part) for part in extractor_version.split("."))
    except ValueError:
        return False
    return version >= DETECTED_SINCE


def article_text(title: str | None, body: str) -> str:
    """What the detector reads of an article."""
    return f"{title}\n\n{body}" if title else body

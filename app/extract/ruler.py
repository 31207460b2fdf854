"""Our EntityRuler patterns and the small component that tidies what context patterns matched.

Token patterns cannot look ahead, so a pattern such as "Kalibr cruise missiles" or "Zapad
military exercises" matches its context words too (pattern id ``context``). The component
``newskb_trim_context`` runs right after the ruler, before the statistical NER: it cuts the
trailing lowercase context words and drops matches whose remaining name is not a name
("Russian", "Joint", "Navy"), leaving those tokens to the NER.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.tokens import Doc, Span

from app.extract.countries import country_by_capital, country_by_demonym, country_by_name

CONTEXT_ID = "context"
TRIM_COMPONENT = "newskb_trim_context"
# Capitalized words that are not the name of an exercise or a weapon when they stand alone.
_NOT_NAMES = frozenset(
    [
        "joint",
        "military",
        "naval",
        "annual",
        "massive",
        "large",
        "major",
        "new",
        "recent",
        "the",
        "these",
        "those",
        "such",
        "several",
        "air",
        "nuclear",
        "live",
        "combined",
        "multinational",
        "regular",
        "summer",
        "winter",
        "spring",
        "autumn",
        "navy",
        "army",
        "marine",
        "marines",
        "coast",
        "guard",
        "force",
        "forces",
        "allied",
        "western",
        "eastern",
        "northern",
        "southern",
        "strategic",
        "russia-belarus",
        "us-led",
        "nato-led",
    ]
)


def load_patterns(directory: Path) -> list[dict[str, Any]]:
    """Every pattern of every ``*.jsonl`` file in ``directory``, in file-name order."""
    patterns: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.jsonl")):
        patterns.extend(srsly.read_jsonl(path))
    return patterns


def compact_patterns(patterns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same patterns in a form spaCy matches faster; the files stay one name per line.

    spaCy's token ``Matcher`` tries every pattern at every token, so its cost grows with the
    number of patterns (two thirds of the ruler's time went to ~90 one-name patterns), while
    the ``PhraseMatcher`` looks names up by hash. So: a pattern of plain ``ORTH`` tokens
    becomes a phrase; context patterns that differ only in their first word share one
    pattern with ``ORTH IN`` those words; "Name [-] year" patterns of n words share one
    pattern per n with one ``ORTH IN`` set per word. The last may join words of two names
    ("Cobra Resolve 2020"): a capitalized name followed by a year is such a name anyway.
    """
    compacted: list[dict[str, Any]] = []
    first_words: dict[tuple[str, str, str], list[str]] = {}
    dated_names: dict[tuple[str, str, int], list[list[str]]] = {}
    for entry in patterns:
        pattern, label, pattern_id = entry["pattern"], entry["label"], entry.get("id", "")
        if isinstance(pattern, str):
            compacted.append(entry)
        elif _plain_words(pattern) is not None:
            compacted.append(entry | {"pattern": " ".join(_plain_words(pattern) or [])})
        elif pattern_id and _plain_words(pattern[:1]) is not None:
            tail = json.dumps(pattern[1:], sort_keys=True)
            first_words.setdefault((label, pattern_id, tail), []).append(pattern[0]["ORTH"])
        elif pattern[-2:] == _DATED_TAIL and (words := _plain_words(pattern[:-2])) is not None:
            dated_names.setdefault((label, pattern_id, len(words)), []).append(words)
        else:
            compacted.append(entry)
    for (label, pattern_id, tail), words in first_words.items():
        first = {"ORTH": {"IN": sorted(set(words))}}
        compacted.append(_entry(label, pattern_id, [first, *json.loads(tail)]))
    for (label, pattern_id, size), names in dated_names.items():
        columns: list[dict[str, Any]] = [
            {"ORTH": {"IN": sorted({name[i] for name in names})}} for i in range(size)
        ]
        compacted.append(_entry(label, pattern_id, [*columns, *_DATED_TAIL]))
    return compacted


# The optional hyphen and the year after an exercise name: "Zapad 2021", "Tsentr - 19".
_DATED_TAIL: list[dict[str, Any]] = [
    {"ORTH": "-", "OP": "?"},
    {"TEXT": {"REGEX": "^(?:(?:19|20)[0-9]{2}|[0-9]{2})$"}},
]


def _plain_words(pattern: list[dict[str, Any]]) -> list[str] | None:
    """The words of a token pattern made only of exact ``ORTH`` tokens, else None."""
    if not pattern or any(token.keys() != {"ORTH"} for token in pattern):
        return None
    if not all(isinstance(token["ORTH"], str) for token in pattern):
        return None
    return [token["ORTH"] for token in pattern]


def _entry(label: str, pattern_id: str, pattern: list[dict[str, Any]]) -> dict[str, Any]:
    return {"label": label, "pattern": pattern} | ({"id": pattern_id} if pattern_id else {})


def _is_name(span: Span) -> bool:
    words = [t.text for t in span if not t.is_punct]
    if not words:
        return False
    if all(w.casefold() in _NOT_NAMES for w in words):
        return False
    text = span.text
    parts = text.replace("-", " ").split()
    if any(country_by_demonym(p) or country_by_name(p) for p in parts):
        return False
    return country_by_capital(text) is None


@Language.component(TRIM_COMPONENT)
def trim_context(doc: Doc) -> Doc:
    """Cut context words off ``context`` matches; drop those that leave no real name."""
    kept: list[Span] = []
    changed = False
    for ent in doc.ents:
        if ent.ent_id_ != CONTEXT_ID:
            kept.append(ent)
            continue
        changed = True
        end = ent.end
        while end > ent.start and (doc[end - 1].is_lower or doc[end - 1].is_punct):
            end -= 1
        if end > ent.start:
            name = Span(doc, ent.start, end, label=ent.label)
            if _is_name(name):
                kept.append(name)
    if changed:
        doc.ents = kept
    return doc

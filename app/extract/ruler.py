"""Our EntityRuler patterns and the small component that tidies what context patterns matched.

Token patterns cannot look ahead, so a pattern such as "Kalibr cruise missiles" or "Zapad
military exercises" matches its context words too (pattern id ``context``). The component
``newskb_trim_context`` runs right after the ruler, before the statistical NER: it cuts the
trailing lowercase context words and drops matches whose remaining name is not a name
("Russian", "Joint", "Navy"), leaving those tokens to the NER.
"""

from __future__ import annotations

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

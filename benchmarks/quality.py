"""Extraction quality against the hand-annotated gold set in ``tests/fixtures/gold/``.

Run ``python -m benchmarks.quality [--corpus DIR] [--json] [--verbose] [--spacy-baseline]``.
Prints precision / recall / F1 per kind of fact, micro-averaged over the gold articles, and the
extraction speed end to end (``extract_parsed``) against bare ``nlp.pipe`` with the same model.
The matching rules are documented in ``tests/fixtures/gold/README.md``; ``score`` is importable.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from app.extract.types import Entity, ExtractedArticle, Mention, ParsedArticle
from benchmarks.scoring import PRF, Gold, normalize_name, score, total

__all__ = ["PRF", "main", "score"]

ROOT = Path(__file__).resolve().parent.parent
GOLD_DIR = ROOT / "tests" / "fixtures" / "gold"
SEED_DIR = ROOT / "seed"
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "news"


# --- running the pipeline over the gold set ------------------------------------------------


@dataclass(frozen=True)
class GoldArticle:
    name: str  # the gold file's stem
    gold: Gold
    parsed: ParsedArticle


def corpus_dir(explicit: str | None = None) -> Path:
    return Path(explicit or os.environ.get("NEWSKB_CORPUS_DIR") or DEFAULT_CORPUS)


def load_gold(gold_dir: Path = GOLD_DIR) -> list[tuple[str, Gold]]:
    return [
        (path.stem, json.loads(path.read_text("utf-8"))) for path in sorted(gold_dir.glob("*.json"))
    ]


def article_text(path: str, corpus: Path) -> str:
    """The text of a gold article: ``seed:NAME`` from seed/, else a file of the corpora."""
    if path.startswith("seed:"):
        return (SEED_DIR / path.removeprefix("seed:")).read_text("utf-8")
    return (corpus / path).read_bytes().decode("utf-8", errors="replace")


def parse_gold_article(gold: Gold, corpus: Path) -> ParsedArticle:
    """Corpus files give their title on line 1 (and Wikinews a ``Date:`` line): pass them as
    metadata so that the body holds only the article; the seed goes through the parser as is."""
    from app.extract.parse import parse_text
    from app.extract.pipeline import with_overrides

    text = article_text(gold["path"], corpus)
    published = (
        datetime.combine(date.fromisoformat(gold["published"]), datetime.min.time(), tzinfo=UTC)
        if gold.get("published")
        else None
    )
    if gold["path"].startswith("seed:"):
        return with_overrides(parse_text(text), published_at=published)
    title, _, body = text.partition("\n")
    body = re.sub(r"\A\s*Date: \d{4}-\d{2}-\d{2}\s*\n", "", body)
    return with_overrides(parse_text(body), title=title.strip(), published_at=published)


def with_quote_texts(gold: Gold, corpus: Path) -> Gold:
    """Research-only texts (BBC) give quotes as ``span`` offsets into the file, never as text."""
    if not any("span" in q for q in gold.get("quotes", [])):
        return gold
    text = article_text(gold["path"], corpus)
    quotes = [
        {**q, "text": text[q["span"][0] : q["span"][1]]} if "span" in q else q
        for q in gold["quotes"]
    ]
    return {**gold, "quotes": quotes}


def load_gold_articles(corpus: Path, gold_dir: Path = GOLD_DIR) -> list[GoldArticle]:
    return [
        GoldArticle(name, with_quote_texts(g, corpus), parse_gold_article(g, corpus))
        for name, g in load_gold(gold_dir)
    ]


def spacy_baseline(parsed: Sequence[ParsedArticle]) -> list[ExtractedArticle]:
    """A reference point, not the product: bare spaCy NER, one entity per distinct text."""
    from app.extract.nlp import analyse

    label_types: dict[str, Any] = {
        "PERSON": "person", "ORG": "organization", "GPE": "country", "LOC": "place",
        "FAC": "place", "NORP": "group", "EVENT": "event", "PRODUCT": "product",
    }  # fmt: skip
    out = []
    for article, docs in zip(parsed, analyse(parsed), strict=True):
        entities: dict[str, Entity] = {}
        for zone in docs:
            for ent in zone.doc.ents:
                if ent.label_ in label_types and (key := normalize_name(ent.text)):
                    mention = Mention(ent.text, zone.span(ent.start_char, ent.end_char))
                    old = entities.get(key)
                    mentions = (*old.mentions, mention) if old else (mention,)
                    entities[key] = Entity(key, label_types[ent.label_], ent.text, mentions)
        out.append(ExtractedArticle(article, "", "spacy-baseline", tuple(entities.values())))
    return out


def run_extraction(
    articles: Sequence[GoldArticle], baseline: bool = False
) -> list[ExtractedArticle]:
    from app.extract.pipeline import extract_parsed

    parsed = [a.parsed for a in articles]
    return spacy_baseline(parsed) if baseline else extract_parsed(parsed)


def measure_speed(parsed: Sequence[ParsedArticle], repeat: int = 2) -> dict[str, float]:
    """Words per second through ``extract_parsed`` and through bare ``nlp.pipe``, best of N."""
    from app.extract.nlp import get_nlp
    from app.extract.pipeline import extract_parsed

    nlp = get_nlp()
    texts = [text for article in parsed for _, _, text in article.zone_texts()]
    words = sum(len(text.split()) for text in texts)
    list(nlp.pipe(texts, batch_size=64))  # warm up caches and lazy loading of both paths
    extract_parsed(parsed[:2])

    def best(run: Callable[[], object]) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return min(times)

    bare = best(lambda: list(nlp.pipe(texts, batch_size=64)))
    full = best(lambda: extract_parsed(parsed, batch_size=64))
    return {
        "words": words,
        "pipeline_words_per_second": words / full,
        "nlp_pipe_words_per_second": words / bare,
        "pipeline_to_nlp_ratio": bare / full,
    }


def _table(rows: dict[str, PRF]) -> str:
    lines = [f"{'kind':<18} {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}"]
    for kind, prf in rows.items():
        lines.append(
            f"{kind:<18} {prf.precision:6.3f} {prf.recall:6.3f} {prf.f1:6.3f}"
            f" {prf.tp:5d} {prf.fp:5d} {prf.fn:5d}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality", description=__doc__)
    parser.add_argument(
        "--corpus", help="news corpora dir (default: $NEWSKB_CORPUS_DIR or ../shared/data/news)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--verbose", action="store_true", help="add one table per article")
    parser.add_argument(
        "--spacy-baseline", action="store_true", help="score bare spaCy NER instead"
    )
    parser.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    args = parser.parse_args(argv)

    corpus = corpus_dir(args.corpus)
    if not corpus.is_dir():
        print(f"corpus not found at {corpus} (use --corpus or NEWSKB_CORPUS_DIR)", file=sys.stderr)
        return 2
    articles = load_gold_articles(corpus)
    extracted = run_extraction(articles, baseline=args.spacy_baseline)
    per_article = {a.name: score(a.gold, x) for a, x in zip(articles, extracted, strict=True)}
    overall = total(per_article.values())
    speed = None if args.no_speed else measure_speed([a.parsed for a in articles])

    if args.json:
        report = {
            "articles": len(articles),
            "overall": {k: v.as_dict() for k, v in overall.items()},
            "per_article": {
                name: {k: v.as_dict() for k, v in scores.items()}
                for name, scores in per_article.items()
            },
            "speed": speed,
        }
        print(json.dumps(report, indent=2))
        return 0
    if args.verbose:
        for name, scores in per_article.items():
            print(f"\n## {name}\n{_table(scores)}")
    print(f"\n## overall, micro-averaged over {len(articles)} gold articles\n{_table(overall)}")
    if speed:
        print(
            f"\nspeed over {speed['words']:.0f} words: extract_parsed "
            f"{speed['pipeline_words_per_second']:,.0f} words/s, bare nlp.pipe "
            f"{speed['nlp_pipe_words_per_second']:,.0f} words/s "
            f"(pipeline at {speed['pipeline_to_nlp_ratio']:.0%} of nlp.pipe speed)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

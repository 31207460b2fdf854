"""Crash-free extraction over whole corpora: no exception escapes, no extractor failure recorded.

Run ``python -m benchmarks.crashfree [--corpus DIR] [--conll FILE] [--only NAME ...]
[--every N] [--offset K] [--json]``. Every document of the BBC, Reuters-21578 and Wikinews
corpora (and the CoNLL-2003 development stories: tokens joined by spaces, sentences by newlines)
goes through ``parse_document`` and ``extract_parsed`` as an ingest would. Prints, per corpus,
the documents read, the ones with an exception that escaped extraction, the ones with a recorded
``ExtractionFailure`` (a fact an extractor dropped) and the failures by extractor, with the first
few of each. Exits 1 when anything escaped or was recorded. ``--every N`` reads every Nth
document only (a quick sample); ``--offset K`` starts at the Kth, so that N runs with offsets
0 to N-1 read everything. The whole run is about half an hour of one core's time (Reuters alone
is 19,000 stories), hours on a machine shared with other jobs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from app.corpora import CorpusDoc, iter_bbc, iter_reuters, iter_wikinews
from app.extract.document import parse_document
from app.extract.types import ExtractedArticle, ParsedArticle

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "news"
DEFAULT_CONLL = ROOT.parent / "shared" / "data" / "eval" / "conll2003" / "valid.txt"
CORPORA = ("bbc", "reuters", "wikinews", "conll")
BATCH = 32
SHOWN = 5  # examples kept per kind of problem


@dataclass
class Tally:
    documents: int = 0
    words: int = 0
    seconds: float = 0.0
    escaped: list[str] = field(default_factory=list)  # "path: Error: message"
    failed_articles: int = 0
    failures: Counter[str] = field(default_factory=Counter)  # by extractor
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "words": self.words,
            "seconds": round(self.seconds, 1),
            "escaped": len(self.escaped),
            "escaped_examples": self.escaped[:SHOWN],
            "articles_with_failures": self.failed_articles,
            "failures_by_extractor": dict(self.failures),
            "failure_examples": self.examples[:SHOWN],
        }


def iter_conll(path: Path) -> Iterator[CorpusDoc]:
    """CoNLL-2003 stories (split at ``-DOCSTART-``): tokens joined by spaces, sentences by lines."""
    story: list[str] = []
    sentence: list[str] = []
    number = 0

    def flush() -> CorpusDoc | None:
        if sentence:
            story.append(" ".join(sentence))
            sentence.clear()
        if not story:
            return None
        text = "\n".join(story)
        story.clear()
        return CorpusDoc(path=f"{path}#{number}", title=None, published_at=None, text=text)

    for line in path.read_text("utf-8").splitlines():
        if line.startswith("-DOCSTART-"):
            if (doc := flush()) is not None:
                yield doc
            number += 1
        elif not line.strip():
            if sentence:
                story.append(" ".join(sentence))
                sentence.clear()
        else:
            sentence.append(line.split(" ", 1)[0])
    if (doc := flush()) is not None:
        yield doc


def documents(name: str, corpus: Path, conll: Path) -> Iterator[CorpusDoc]:
    if name == "bbc":
        return iter_bbc(corpus / "bbc")
    if name == "reuters":
        return iter_reuters(corpus / "reuters21578")
    if name == "wikinews":
        return iter_wikinews(corpus / "wikinews")
    return iter_conll(conll)


def parse(doc: CorpusDoc) -> ParsedArticle:
    return parse_document(text=doc.text, title=doc.title, published_at=doc.published_at)


def check(docs: Sequence[CorpusDoc], tally: Tally) -> None:
    """Parse and extract one batch; on an escaped exception, again one document at a time."""
    from app.extract.pipeline import extract_parsed

    try:
        results = extract_parsed([parse(doc) for doc in docs])
    except Exception as exc:
        if len(docs) > 1:
            for doc in docs:
                check([doc], tally)
        else:
            tally.documents += 1
            tally.escaped.append(f"{docs[0].path}: {exc.__class__.__name__}: {exc}")
        return
    for doc, result in zip(docs, results, strict=True):
        tally.documents += 1
        tally.words += len(result.parsed.body.split())
        record(doc, result, tally)


def record(doc: CorpusDoc, result: ExtractedArticle, tally: Tally) -> None:
    if not result.failures:
        return
    tally.failed_articles += 1
    for failure in result.failures:
        tally.failures[failure.extractor] += 1
        if len(tally.examples) < SHOWN:
            tally.examples.append(
                f"{doc.path}: {failure.extractor} on {failure.text!r}: {failure.error}"
            )


def run(name: str, corpus: Path, conll: Path, every: int, offset: int = 0) -> Tally:
    tally = Tally()
    started = time.perf_counter()
    docs = islice(documents(name, corpus, conll), offset, None, every)
    while batch := list(islice(docs, BATCH)):
        check(batch, tally)
    tally.seconds = time.perf_counter() - started
    return tally


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--conll", type=Path, default=DEFAULT_CONLL)
    parser.add_argument("--only", nargs="+", choices=CORPORA, default=list(CORPORA))
    parser.add_argument("--every", type=int, default=1, help="read every Nth document only")
    parser.add_argument("--offset", type=int, default=0, help="starting from this one")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    tallies = {
        name: run(name, args.corpus, args.conll, args.every, args.offset) for name in args.only
    }
    if args.json:
        print(json.dumps({name: t.as_dict() for name, t in tallies.items()}, indent=2))
    else:
        print(f"{'corpus':<10} {'documents':>9} {'words':>10} {'seconds':>8} {'escaped':>8} "
              f"{'with failures':>13}  failures by extractor")  # fmt: skip
        for name, t in tallies.items():
            by = ", ".join(f"{k} {v}" for k, v in sorted(t.failures.items())) or "-"
            print(f"{name:<10} {t.documents:>9} {t.words:>10} {t.seconds:>8.0f} "
                  f"{len(t.escaped):>8} {t.failed_articles:>13}  {by}")  # fmt: skip
        for name, t in tallies.items():
            for line in t.escaped[:SHOWN] + t.examples[:SHOWN]:
                print(f"  {name}: {line}")
    bad = any(t.escaped or t.failed_articles for t in tallies.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

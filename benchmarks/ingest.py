"""Bulk ingest speed against bare spaCy, measured side by side in one run.

    python -m benchmarks.ingest [--limit N] [--db sqlite,postgresql] [--processes 1,2]

Reads the BBC corpus, then for each process count: (1) bare ``nlp.pipe`` with the same model
over the same texts (every zone of every parsed article), (2) the real ingest path
(``app.kb.bulk.ingest_documents``: parse, dedupe, batched extraction, one transaction per
article) into a fresh database of each backend. Prints articles/s, words/s and the ratio.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import spacy

from app.corpora import iter_bbc
from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.extract.nlp import DEFAULT_MODELS
from app.extract.pipeline import parse_document
from app.kb.bulk import Document, ingest_documents
from benchmarks.databases import fresh_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = Path(os.environ.get("NEWSKB_CORPUS_DIR", ROOT.parent / "shared" / "data" / "news"))


def load_documents(corpus: Path, limit: int | None) -> list[Document]:
    docs = islice(iter_bbc(corpus / "bbc"), limit)
    return [Document(name=d.path, text=d.text, title=d.title, source="BBC") for d in docs]


@dataclass(frozen=True)
class Timing:
    seconds: float  # wall
    cpu: float  # user + system CPU of this process and of its children that ended


def cpu_of_self_and_children() -> float:
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bare_spacy(documents: list[Document], *, processes: int, batch_size: int) -> Timing:
    """Plain ``nlp.pipe`` over the texts our pipeline analyses (model loading excluded)."""
    name = next(n for n in DEFAULT_MODELS.split(",") if spacy.util.is_package(n))
    nlp = spacy.load(name)
    texts = [
        text
        for d in documents
        for _, _, text in parse_document(text=d.text, title=d.title).zone_texts()
    ]
    started, cpu = time.perf_counter(), cpu_of_self_and_children()
    for _ in nlp.pipe(texts, batch_size=batch_size, n_process=processes):
        pass
    return Timing(time.perf_counter() - started, cpu_of_self_and_children() - cpu)


def full_ingest(
    documents: list[Document], *, backend: str, processes: int, batch_size: int
) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder, fresh_database(backend, Path(folder)) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        started = time.perf_counter()
        report = ingest_documents(
            make_sessionmaker(engine),
            documents,
            model_names=DEFAULT_MODELS,
            batch_size=batch_size,
            n_process=processes,
        )
        elapsed = time.perf_counter() - started
        engine.dispose()
    if report.failed:
        print(f"  {len(report.failed)} failed, first: {report.failed[0]}")
    return elapsed, len(report.created)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="first N BBC articles")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    documents = load_documents(args.corpus, args.limit)
    words = sum(len((d.text or "").split()) for d in documents)
    print(f"{len(documents)} BBC articles, {words} words, batch {args.batch_size}")
    print(f"{'run':<28}{'proc':>5}{'seconds':>9}{'art/s':>8}{'words/s':>9}{'ratio':>7}")
    bare_rate: dict[int, float] = {}
    ingest_rate: dict[tuple[str, int], float] = {}
    for processes in (int(p) for p in args.processes.split(",")):
        seconds = bare_spacy(documents, processes=processes, batch_size=args.batch_size).seconds
        bare_rate[processes] = words / seconds
        print(
            f"{'bare nlp.pipe':<28}{processes:>5}{seconds:>9.1f}"
            f"{len(documents) / seconds:>8.1f}{words / seconds:>9.0f}{1.0:>7.2f}"
        )
        for backend in args.db.split(","):
            seconds, created = full_ingest(
                documents, backend=backend, processes=processes, batch_size=args.batch_size
            )
            rate = words / seconds
            ingest_rate[backend, processes] = rate
            print(
                f"{'ingest → ' + backend:<28}{processes:>5}{seconds:>9.1f}"
                f"{created / seconds:>8.1f}{rate:>9.0f}{rate / bare_rate[processes]:>7.2f}"
            )
    if 1 in bare_rate and 2 in bare_rate:
        print(
            f"2-process speed-up over 1 process: bare spaCy {bare_rate[2] / bare_rate[1]:.2f}x",
            end="",
        )
        for backend in args.db.split(","):
            speedup = ingest_rate[backend, 2] / ingest_rate[backend, 1]
            print(f", ingest → {backend} {speedup:.2f}x", end="")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

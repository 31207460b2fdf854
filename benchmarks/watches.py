"""What watches add to an ingest: ``record_matches`` for one new article, by number of watches.

    python -m benchmarks.watches [--articles N] [--watches 0,10,100,1000] [--db sqlite,postgresql]

Fills a fresh database with synthetic articles (words drawn from a fixed vocabulary, so that
common words have long posting lists, as in news), saves N watches (a quarter with a word
every article has, the rest with rarer words, phrases and exclusions, some with filters), then
times ``record_matches`` for new articles, each in a transaction that is rolled back, and prints
the median and 95th percentile in milliseconds. The cost should follow the number of watches,
not the number of stored articles.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.db.models import Article
from app.extract import types as x
from app.extract.pipeline import EXTRACTOR_VERSION, content_hash
from app.kb import ingest as kb_ingest
from app.kb import watches as kb_watches
from benchmarks.databases import fresh_database

COMMON = "government"
VOCABULARY = [f"word{n}" for n in range(3000)]


def article(rng: random.Random, serial: int) -> x.ExtractedArticle:
    words = rng.choices(VOCABULARY, k=300)
    body = f"The {COMMON} said on day {serial}: " + " ".join(words) + "."
    parsed = x.ParsedArticle(
        body=body,
        title=" ".join(words[:6]),
        published_at=datetime(2024, 1, 1, tzinfo=UTC),
        source_name="Bench Wire",
    )
    return x.ExtractedArticle(
        parsed=parsed, content_hash=content_hash(parsed), extractor_version=EXTRACTOR_VERSION
    )


def queries(rng: random.Random, count: int) -> list[tuple[str, kb_watches.WatchFilters]]:
    found: list[tuple[str, kb_watches.WatchFilters]] = []
    for n in range(count):
        a, b = rng.sample(VOCABULARY, 2)
        kind = n % 4
        if kind == 0:
            found.append((COMMON, kb_watches.WatchFilters()))
        elif kind == 1:
            found.append((f"{a} {b}", kb_watches.WatchFilters()))
        elif kind == 2:
            found.append((f'"{a} {b}" OR {COMMON} -{b}', kb_watches.WatchFilters()))
        else:
            found.append(
                (a, kb_watches.WatchFilters(sources=("Bench Wire",), event_types=("attack",)))
            )
    return found


def run(url: str, *, articles: int, counts: list[int], samples: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = make_sessionmaker(engine)
    rng = random.Random(7)
    started = time.perf_counter()
    with sessions() as session:
        for serial in range(articles):
            kb_ingest.ingest_article(session, article(rng, serial))
    print(f"  {articles} articles stored in {time.perf_counter() - started:.0f} s")
    saved = 0
    for count in counts:
        with sessions() as session:
            for q, filters in queries(rng, count - saved):
                kb_watches.create_watch(session, q=q, filters=filters)
        saved = count
        timings = []
        for sample in range(samples):
            with sessions() as session, session.begin():
                new = article(rng, articles + sample)
                stored = kb_ingest._store_article(session, new)
                session.flush()
                began = time.perf_counter()
                matched = kb_watches.record_matches(session, stored)
                timings.append((time.perf_counter() - began) * 1000)
                session.rollback()
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(
            f"  {count:5d} watches: median {statistics.median(timings):6.2f} ms, "
            f"p95 {p95:6.2f} ms (matched {len(matched)} of the last article)"
        )
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == articles
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--watches", default="0,10,100,1000")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    counts = [int(n) for n in args.watches.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        for backend in args.db.split(","):
            print(f"{backend}:")
            with fresh_database(backend, Path(folder)) as url:
                run(url, articles=args.articles, counts=counts, samples=args.samples)


if __name__ == "__main__":
    main()

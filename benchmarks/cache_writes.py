"""Read-cache hit rate while articles are ingested: tagged drops against drop-everything.

    python -m benchmarks.cache_writes [--db sqlite,postgresql] [--seconds 30] [--urls 900]

A long tail of single-resource reads (article, entity and event pages, plus a tenth of lists
and searches) runs through wrk at 16 connections against one uvicorn worker serving a copy of
the benchmark read database (seed + BBC, ``benchmarks.readdb``), first alone, then while a
bulk ingest (``newskb ingest``, another process, one article per batch so that commits come
evenly) stores Reuters-21578 stories in the same database.
The same run serves the copy twice: with the read cache as shipped (a write drops the answers
it can change) and with ``NEWSKB_READ_CACHE_DROP_ALL=true`` (every write drops every answer,
the earlier behaviour). The hit rate is read off the server's own counters in ``/metrics``
(``newskb_read_cache_lookups_total``), so it counts exactly what the cache did.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app.corpora import iter_reuters
from app.db.engine import make_engine, make_sessionmaker
from app.db.models import Article, Entity, Event
from benchmarks import readdb
from benchmarks.databases import DEFAULT_PG
from benchmarks.load import serving, wrk

LOOKUPS = re.compile(
    r'^newskb_read_cache_(?:lookups_total\{outcome="(hit|miss)"\}|(dropped)_total) ([0-9.e+]+)$',
    re.M,
)


@dataclass(frozen=True)
class Phase:
    mode: str
    writing: bool
    hits: int
    misses: int
    rps: float
    p99_ms: float
    ingested: int
    dropped: int

    @property
    def dropped_per_article(self) -> float:
        """Hit rates depend on how fast the ingest runs on a busy machine; this does not."""
        return self.dropped / max(self.ingested, 1)

    @property
    def hit_rate(self) -> float:
        return self.hits / max(self.hits + self.misses, 1)


def pick_urls(url: str, total: int, seed: int = 11) -> list[str]:
    """Mostly single resources (60% articles, 20% entities, 10% events), 10% lists/searches."""
    rng = random.Random(seed)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            articles = list(session.scalars(select(Article.id)))
            entities = list(
                session.scalars(
                    select(Entity.id).where(Entity.merged_into_id.is_(None)).order_by(func.random())
                )
            )
            events = list(session.scalars(select(Event.id)))
    finally:
        engine.dispose()
    urls = [f"/v1/articles/{i}" for i in rng.sample(articles, min(len(articles), total * 6 // 10))]
    urls += [f"/v1/entities/{i}" for i in rng.sample(entities, min(len(entities), total // 5))]
    urls += [f"/v1/events/{i}" for i in rng.sample(events, min(len(events), total // 10))]
    words = ["government", "market", "election", "film", "music", "club", "minister", "price"]
    lists = ["/v1/articles", "/v1/events", "/v1/entities?type=person"]
    lists += [f"/v1/search?q={w}" for w in words] + [f"/v1/articles?q={w}" for w in words]
    urls += [rng.choice(lists) for _ in range(total // 10)]
    rng.shuffle(urls)
    return urls


@contextmanager
def copy_of(backend: str, pg_url: str) -> Iterator[str]:
    """A throw-away copy of the cached read database (writes go there)."""
    source = readdb.ensure(backend, pg_url=pg_url)
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "copy.db"
            shutil.copyfile(readdb.sqlite_path(), target)
            yield f"sqlite:///{target}"
        return
    name = f"newskb_bench_writes_{random.randrange(1 << 30)}"
    admin = create_engine(make_url(pg_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{readdb.PG_NAME}"'))
        yield make_url(source).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def counters(base: str) -> tuple[int, int, int]:
    """Hits, misses and answers dropped by writes, so far."""
    with urllib.request.urlopen(base + "/metrics", timeout=30) as answer:
        found = {a or b: int(float(n)) for a, b, n in LOOKUPS.findall(answer.read().decode())}
    return found.get("hit", 0), found.get("miss", 0), found.get("dropped", 0)


def article_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return int(session.scalar(select(func.count(Article.id))) or 0)
    finally:
        engine.dispose()


@contextmanager
def bulk_ingest(url: str, folder: Path, stories: int) -> Iterator[None]:
    """``newskb ingest`` of Reuters stories, in the background until the block ends."""
    feed = folder / "reuters.jsonl"
    with feed.open("w") as out:
        docs = iter_reuters(readdb.CORPUS / "reuters21578")
        for doc in itertools.islice((d for d in docs if len(d.text) > 800), stories):
            published = doc.published_at.isoformat() if doc.published_at else None
            out.write(json.dumps({"text": doc.text, "published_at": published}) + "\n")
    newskb = str(Path(sys.executable).parent / "newskb")
    command = [newskb, "ingest", str(feed), "-b", "1", "-d", url]
    with (folder / "ingest.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=60)


def run_mode(url: str, mode: str, urls: list[str], args: argparse.Namespace) -> list[Phase]:
    env = {
        "NEWSKB_DATABASE_URL": url,
        "NEWSKB_RATE_LIMIT_ANONYMOUS": "",
        "NEWSKB_READ_CACHE_DROP_ALL": "true" if mode == "drop-all" else "false",
    }
    phases = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        serving(
            "app.asgi:app", workers=1, env=env, log=readdb.BENCH_DIR / f"cache-writes-{mode}.log"
        ) as base,
    ):
        folder = Path(tmp)
        for path in set(urls):  # every answer built once: the cache starts full
            with urllib.request.urlopen(base + path, timeout=60) as answer:
                answer.read()
        for writing in (False, True):
            before = article_count(url)
            hits, misses, dropped = counters(base)
            with bulk_ingest(url, folder, 2000) if writing else nullcontext():
                if writing:
                    time.sleep(args.spacy_load)  # the ingest loads spaCy before it writes
                cell = wrk(base, urls, connections=16, seconds=args.seconds, folder=folder)
            hits_after, misses_after, dropped_after = counters(base)
            phase = Phase(
                mode,
                writing,
                hits_after - hits,
                misses_after - misses,
                cell.rps,
                cell.p99_ms,
                article_count(url) - before,
                dropped_after - dropped,
            )
            phases.append(phase)
            print(
                f"  {mode:<9} {'during ingest' if writing else 'no writes':<14}"
                f" hit rate {phase.hit_rate:6.1%}  {phase.rps:7.0f} req/s"
                f"  p99 {phase.p99_ms:6.1f} ms  {phase.ingested} articles ingested,"
                f" {phase.dropped} answers dropped ({phase.dropped_per_article:.1f} per article)",
                flush=True,
            )
    return phases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=int, default=30, help="per phase")
    parser.add_argument("--urls", type=int, default=900, help="distinct-ish URLs in the load")
    parser.add_argument(
        "--spacy-load", type=float, default=8.0, help="seconds the ingest gets to load spaCy"
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args(argv)
    print(f"wrk 16 connections, one uvicorn worker, {args.seconds} s per phase")
    lines = [
        "| database | cache drops | phase | hit rate | req/s | p99 ms | ingested | dropped |"
        " dropped per article |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for backend in args.db.split(","):
        print(backend)
        for mode in ("tagged", "drop-all"):
            with copy_of(backend, args.pg_url) as url:
                urls = pick_urls(url, args.urls)
                for p in run_mode(url, mode, urls, args):
                    lines.append(
                        f"| {backend} | {mode} | {'during ingest' if p.writing else 'no writes'}"
                        f" | {p.hit_rate:.1%} | {p.rps:.0f} | {p.p99_ms:.1f} | {p.ingested}"
                        f" | {p.dropped} | {p.dropped_per_article:.1f} |"
                    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

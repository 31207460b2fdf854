"""Cached benchmark databases holding the seed plus the whole BBC corpus, built once.

    python -m benchmarks.readdb [--db sqlite,postgresql] [--rebuild]

SQLite: ``/work/bench/newskb-read.db`` (``NEWSKB_BENCH_DIR`` moves the folder); PostgreSQL:
database ``newskb_bench_read`` on 127.0.0.1. Each is built under a temporary name through the
real ingest path (``app.seeding.seed`` then ``app.kb.bulk.ingest_documents``) and renamed only
once complete, so an interrupted build is never mistaken for a cached one.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.corpora import iter_bbc
from app.db.engine import make_engine, make_sessionmaker
from app.kb.bulk import Document, ingest_documents
from app.seeding import seed
from app.settings import Settings
from benchmarks.databases import DEFAULT_PG

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(os.environ.get("NEWSKB_BENCH_DIR", "/work/bench"))
CORPUS = Path(os.environ.get("NEWSKB_CORPUS_DIR", ROOT.parent / "shared" / "data" / "news"))
PG_NAME = "newskb_bench_read"


def sqlite_path() -> Path:
    return BENCH_DIR / "newskb-read.db"


def database_url(backend: str, *, pg_url: str = DEFAULT_PG) -> str:
    if backend == "sqlite":
        return f"sqlite:///{sqlite_path()}"
    return _pg_database(pg_url, PG_NAME)


def _pg_database(pg_url: str, name: str) -> str:
    return make_url(pg_url).set(database=name).render_as_string(hide_password=False)


def _pg_exists(name: str, pg_url: str) -> bool:
    admin = create_engine(make_url(pg_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
        return found is not None
    finally:
        admin.dispose()


def _pg_admin(statement: str, pg_url: str) -> None:
    admin = create_engine(make_url(pg_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def _fill(url: str, corpus: Path, processes: int) -> int:
    seed(Settings(database_url=url))
    engine = make_engine(url)
    try:
        documents = [
            Document(name=d.path, text=d.text, title=d.title, source="BBC")
            for d in iter_bbc(corpus / "bbc")
        ]
        report = ingest_documents(
            make_sessionmaker(engine),
            documents,
            model_names=Settings().spacy_model,
            n_process=processes,
        )
        # A steady state, as autovacuum would leave it: statistics, and on PostgreSQL the
        # visibility map that lets index-only scans skip the heap.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            is_pg = connection.dialect.name == "postgresql"
            connection.execute(text("VACUUM ANALYZE" if is_pg else "ANALYZE"))
        return len(report.created)
    finally:
        engine.dispose()


def ensure(
    backend: str,
    *,
    rebuild: bool = False,
    pg_url: str = DEFAULT_PG,
    corpus: Path = CORPUS,
    processes: int = 1,
) -> str:
    """The URL of the cached database of ``backend``, building it first when missing."""
    final = database_url(backend, pg_url=pg_url)
    if backend == "sqlite":
        target = sqlite_path()
        if target.exists() and not rebuild:
            return final
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        partial = BENCH_DIR / "newskb-read.partial.db"
        partial.unlink(missing_ok=True)
        started = time.perf_counter()
        created = _fill(f"sqlite:///{partial}", corpus, processes)
        partial.replace(target)
    else:
        if _pg_exists(PG_NAME, pg_url) and not rebuild:
            return final
        partial_name = f"{PG_NAME}_partial"
        _pg_admin(f'DROP DATABASE IF EXISTS "{partial_name}" WITH (FORCE)', pg_url)
        _pg_admin(f'CREATE DATABASE "{partial_name}"', pg_url)
        started = time.perf_counter()
        created = _fill(_pg_database(pg_url, partial_name), corpus, processes)
        _pg_admin(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)', pg_url)
        _pg_admin(f'ALTER DATABASE "{partial_name}" RENAME TO "{PG_NAME}"', pg_url)
    print(f"built {backend}: {created} BBC articles in {time.perf_counter() - started:.0f} s")
    return final


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args(argv)
    for backend in args.db.split(","):
        url = ensure(backend, rebuild=args.rebuild, pg_url=args.pg_url, processes=args.processes)
        print(f"{backend}: {url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

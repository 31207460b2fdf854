"""Uncached point reads in-process: CPU per request and database round trips per request.

    python -m benchmarks.point_reads [--db sqlite,postgresql] [--url URL] [--requests 400]
                                     [--only article,entity,event]

For each database (the seed + BBC read database of ``benchmarks.readdb``, or ``--url``) it
builds the app without the read cache and serves the URLs ``benchmarks.load`` would pick
(article, entity and event pages) through Starlette's ``TestClient``, one request after the
other, in this process. It reports, per page, the CPU time of the process per request
(``time.process_time``: every thread, the point read's thread on PostgreSQL included, the
database server not) and what each request sent to the database, counted at the driver:
statements, the checkout ping, ``BEGIN``, ``COMMIT``/``ROLLBACK``. A bare FastAPI route answering
the same bytes through the same client gives the floor the client itself costs.

No wrk, no uvicorn: nothing but the app and the driver on the CPU, so two versions of the code
can be compared in the same minutes (run the script with each version on ``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Response
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from app.main import create_app
from app.settings import Settings
from benchmarks import readdb
from benchmarks.databases import DEFAULT_PG
from benchmarks.load import pick_targets

PAGES = ("article", "entity", "event")


@dataclass
class Trips:
    """What requests sent to the database, counted at the driver."""

    statements: int = 0
    begins: int = 0
    ends: int = 0  # COMMIT or ROLLBACK
    pings: int = 0
    texts: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.statements + self.begins + self.ends + self.pings


@contextmanager
def counting(engine: Engine) -> Iterator[Trips]:
    """Count round trips: on PostgreSQL at psycopg (pings and the implicit BEGIN included)."""
    trips = Trips()
    if engine.dialect.name == "postgresql":
        import psycopg
        from psycopg.pq import TransactionStatus

        execute, rollback, commit = (
            psycopg.Cursor.execute,
            psycopg.Connection.rollback,
            psycopg.Connection.commit,
        )

        def counted_execute(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            connection = cursor.connection
            if (
                not connection.autocommit
                and connection.pgconn.transaction_status == TransactionStatus.IDLE
            ):
                trips.begins += 1
            text = query if isinstance(query, str) else str(query)
            if text.strip() == "SELECT 1" and connection.autocommit:
                trips.pings += 1
            else:
                trips.statements += 1
                trips.texts.append(text)
            return execute(cursor, query, *args, **kwargs)

        def ending(original: Callable[[Any], None]) -> Callable[[Any], None]:
            def end(connection: Any) -> None:
                if connection.pgconn.transaction_status != TransactionStatus.IDLE:
                    trips.ends += 1
                original(connection)

            return end

        psycopg.Cursor.execute = counted_execute  # type: ignore[method-assign,assignment]
        psycopg.Connection.rollback = ending(rollback)  # type: ignore[method-assign]
        psycopg.Connection.commit = ending(commit)  # type: ignore[method-assign]
        try:
            yield trips
        finally:
            psycopg.Cursor.execute = execute  # type: ignore[method-assign]
            psycopg.Connection.rollback = rollback  # type: ignore[method-assign]
            psycopg.Connection.commit = commit  # type: ignore[method-assign]
        return

    def statement(_conn: Any, _cursor: Any, text: str, *_: Any) -> None:
        if text.startswith("BEGIN"):
            trips.begins += 1
        else:
            trips.statements += 1
            trips.texts.append(text)

    def end(*_: Any) -> None:
        trips.ends += 1

    def reset(_dbapi_connection: Any, _record: Any, state: Any) -> None:
        if not state.transaction_was_reset:  # else the connection rolled back already
            trips.ends += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "rollback", end)
    event.listen(engine, "commit", end)
    event.listen(engine.pool, "reset", reset)
    try:
        yield trips
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "rollback", end)
        event.remove(engine, "commit", end)
        event.remove(engine.pool, "reset", reset)


def bare_app(body: bytes) -> FastAPI:
    """The floor: an async route answering fixed bytes (``benchmarks.ceiling``'s route)."""
    app = FastAPI()

    @app.get("/bare")
    async def bare() -> Response:
        return Response(content=body, media_type="application/json")

    return app


def cpu_per_request(client: TestClient, paths: list[str], requests: int) -> float:
    """Median over 3 passes of CPU ms per request, ``requests`` requests per pass."""
    passes = []
    for _ in range(3):
        gc.collect()
        start = time.process_time()
        for i in range(requests):
            response = client.get(paths[i % len(paths)])
            assert response.status_code == 200, (paths[i % len(paths)], response.status_code)
        passes.append((time.process_time() - start) * 1000 / requests)
    return statistics.median(passes)


def run(url: str, pages: list[str], requests: int) -> list[str]:
    targets = pick_targets(url)
    settings = Settings(
        database_url=url, read_cache_size=0, rate_limit_anonymous="", log_level="warning"
    )
    app = create_app(settings)
    lines = []
    with TestClient(app) as client:
        engine: Engine = app.state.engine
        sample = client.get(targets["article"][0]).content
        with TestClient(bare_app(sample)) as bare:
            for _ in range(50):
                bare.get("/bare")
            floor = cpu_per_request(bare, ["/bare"], requests)
        lines.append(f"bare route ({len(sample)} bytes): {floor:.2f} ms CPU/request")
        for page in pages:
            paths = targets[page]
            for path in paths:  # warm: statement caches, the pool, the OS page cache
                client.get(path)
            with counting(engine) as trips:
                for path in paths:
                    client.get(path)
            per = {
                "statements": trips.statements / len(paths),
                "begin": trips.begins / len(paths),
                "end": trips.ends / len(paths),
                "ping": trips.pings / len(paths),
            }
            cpu = cpu_per_request(client, paths, requests)
            lines.append(
                f"{page}: {cpu:.2f} ms CPU/request ({cpu - floor:.2f} over the bare route); "
                f"round trips/request {trips.total / len(paths):.1f} = "
                + ", ".join(f"{k} {v:.1f}" for k, v in per.items())
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--url", default="", help="a database URL instead of the read database")
    parser.add_argument("--requests", type=int, default=400, help="requests per pass")
    parser.add_argument("--only", default=",".join(PAGES))
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args(argv)
    pages = [p for p in args.only.split(",") if p]
    urls = (
        [args.url]
        if args.url
        else [readdb.database_url(b, pg_url=args.pg_url) for b in args.db.split(",") if b]
    )
    for url in urls:
        print(f"== {url.split('@')[-1]}  (load average {_load()})", flush=True)
        for line in run(url, pages, args.requests):
            print(line, flush=True)
    return 0


def _load() -> str:
    with open("/proc/loadavg", encoding="ascii") as loadavg:
        return " ".join(loadavg.read().split()[:3])


if __name__ == "__main__":
    raise SystemExit(main())

"""Uncached reads in-process: CPU per request and database round trips per request.

    python -m benchmarks.point_reads [--db sqlite,postgresql] [--url URL] [--requests 400]
                                     [--only article,entity,event,events,timeline,...]

For each database (the seed + BBC read database of ``benchmarks.readdb``, or ``--url``) it
builds the app without the read cache and serves the URLs ``benchmarks.load`` would pick
(by default the article, entity and event pages; ``--only`` takes any of its endpoint names:
``events``, ``timeline``, ``search?q=common``, ``articles?q=common``...) one request after the
other, in this process: the ASGI app is called directly in an event loop of this thread (no
HTTP, no test client thread). It reports, per endpoint, the CPU time of the process per
request (``time.process_time``: every thread, the point read's thread on PostgreSQL included,
the database server not) and what each request sent to the database, counted at the driver:
statements, the checkout ping, ``BEGIN``, ``COMMIT``/``ROLLBACK``. A bare FastAPI route answering
the same bytes, called the same way, gives the floor of the calling itself.

No wrk, no uvicorn: nothing but the app and the driver on the CPU, so two versions of the code
can be compared in the same minutes (run the script with each version on ``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Response
from sqlalchemy import Engine, event
from starlette.types import ASGIApp, Message

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
    """Count round trips: on PostgreSQL at psycopg (pings and the implicit BEGIN included).

    psycopg is patched for the whole process, so the app's own background threads (named
    ``newskb-...``: webhook deliveries poll on an engine of their own) are left out: what they
    send at the same moment is not a request's.
    """
    trips = Trips()
    if engine.dialect.name == "postgresql":
        import psycopg
        from psycopg.pq import TransactionStatus

        execute, rollback, commit = (
            psycopg.Cursor.execute,
            psycopg.Connection.rollback,
            psycopg.Connection.commit,
        )

        def background() -> bool:
            return threading.current_thread().name.startswith("newskb-")

        def counted_execute(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            if background():
                return execute(cursor, query, *args, **kwargs)
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
                if (
                    not background()
                    and connection.pgconn.transaction_status != TransactionStatus.IDLE
                ):
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

    # SQLite: what the library itself runs (its trace callback), not what SQLAlchemy's events
    # report: a rollback of a connection outside a transaction runs nothing.
    def seen(text: str) -> None:
        if text.startswith("--"):  # run by a virtual table (FTS5) within a statement
            return
        word = text.split(None, 1)[0].upper() if text.strip() else ""
        if word == "BEGIN":
            trips.begins += 1
        elif word in ("COMMIT", "ROLLBACK", "END"):
            trips.ends += 1
        else:
            trips.statements += 1
            trips.texts.append(text)

    def trace(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.set_trace_callback(seen)

    def untrace(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.set_trace_callback(None)

    event.listen(engine, "checkout", trace)
    event.listen(engine, "checkin", untrace)
    try:
        yield trips
    finally:
        event.remove(engine, "checkout", trace)
        event.remove(engine, "checkin", untrace)


def bare_app(body: bytes) -> FastAPI:
    """The floor: an async route answering fixed bytes (``benchmarks.ceiling``'s route)."""
    app = FastAPI()

    @app.get("/bare")
    async def bare() -> Response:
        return Response(content=body, media_type="application/json")

    return app


async def get(app: ASGIApp, path: str) -> tuple[int, bytes]:
    """One GET through the whole ASGI app (its middleware included): status and body."""
    route, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
        "state": {},
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


@contextmanager
def started(app: FastAPI, loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """The app's lifespan (startup, then shutdown) run in ``loop``."""
    messages: asyncio.Queue[Message] = asyncio.Queue()
    replies: asyncio.Queue[Message] = asyncio.Queue()

    async def receive() -> Message:
        return await messages.get()

    async def send(message: Message) -> None:
        await replies.put(message)

    task = loop.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    loop.run_until_complete(messages.put({"type": "lifespan.startup"}))
    reply = loop.run_until_complete(replies.get())
    assert reply["type"] == "lifespan.startup.complete", reply
    try:
        yield
    finally:
        loop.run_until_complete(messages.put({"type": "lifespan.shutdown"}))
        loop.run_until_complete(replies.get())
        loop.run_until_complete(task)


def cpu_per_request(
    app: ASGIApp, loop: asyncio.AbstractEventLoop, paths: list[str], requests: int
) -> float:
    """Median over 3 passes of CPU ms per request, ``requests`` requests per pass."""

    async def one_pass() -> None:
        for i in range(requests):
            status, _ = await get(app, paths[i % len(paths)])
            assert status == 200, (paths[i % len(paths)], status)

    passes = []
    for _ in range(3):
        gc.collect()
        start = time.process_time()
        loop.run_until_complete(one_pass())
        passes.append((time.process_time() - start) * 1000 / requests)
    return statistics.median(passes)


def run(url: str, pages: list[str], requests: int) -> list[str]:
    targets = pick_targets(url)
    settings = Settings(
        database_url=url, read_cache_size=0, rate_limit_anonymous="", log_level="warning"
    )
    app = create_app(settings)
    lines = []
    loop = asyncio.new_event_loop()
    try:
        with started(app, loop):
            engine: Engine = app.state.engine

            async def each(paths: list[str]) -> None:
                for path in paths:
                    await get(app, path)

            _, sample = loop.run_until_complete(get(app, targets["article"][0]))
            bare = bare_app(sample)
            loop.run_until_complete(each(["/bare"] * 50))
            floor = cpu_per_request(bare, loop, ["/bare"], requests)
            lines.append(f"bare route ({len(sample)} bytes): {floor:.2f} ms CPU/request")
            for page in pages:
                paths = targets[page]
                # warm: statement caches, the pool, the OS page cache
                loop.run_until_complete(each(paths))
                with counting(engine) as trips:
                    loop.run_until_complete(each(paths))
                per = {
                    "statements": trips.statements / len(paths),
                    "begin": trips.begins / len(paths),
                    "end": trips.ends / len(paths),
                    "ping": trips.pings / len(paths),
                }
                cpu = cpu_per_request(app, loop, paths, requests)
                lines.append(
                    f"{page}: {cpu:.2f} ms CPU/request ({cpu - floor:.2f} over the bare route); "
                    f"round trips/request {trips.total / len(paths):.1f} = "
                    + ", ".join(f"{k} {v:.1f}" for k, v in per.items())
                )
    finally:
        loop.close()
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
        else [readdb.ensure(b, pg_url=args.pg_url) for b in args.db.split(",") if b]
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

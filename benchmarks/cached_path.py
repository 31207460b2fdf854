"""Cached reads in-process: CPU per hit through the whole ASGI stack, and what each layer adds.

    python -m benchmarks.cached_path [--db sqlite,postgresql] [--url URL] [--requests 5000]
                                     [--repeats 5] [--no-layers]

For each database (the read database of ``benchmarks.readdb``, or ``--url``) it builds the app
with its default read cache, fills the cache with the article pages ``benchmarks.load`` picks,
then calls the app's ASGI callable directly, one request after the other (no HTTP, no client
library), and reports the CPU time per request (``time.process_time``), the best of
``--repeats`` runs. Beside it, the ceiling of ``benchmarks.load`` (a bare FastAPI route answering
the median article answer's bytes) called the same way. Then, unless ``--no-layers``, the same app
with one of its middleware layers removed at a time: the difference is what that layer costs a
hit (the access log is written to a file, as a served app writes it).

What this leaves out is uvicorn's own work (parsing, h11, the socket), the same for both apps but
for the extra response headers; ``benchmarks.load`` measures it all, with wrk. Run the script
with each version of the code on ``PYTHONPATH`` to compare them in the same minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI

from app.logging import configure_logging
from app.main import create_app
from app.settings import Settings
from benchmarks import ceiling, readdb
from benchmarks.databases import DEFAULT_PG
from benchmarks.load import pick_targets

ASGI = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def scope_of(path: str) -> dict[str, Any]:
    """What uvicorn passes for ``GET path`` from wrk (Host only, no Accept-Encoding)."""
    route, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": route,
        "raw_path": route.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1:8000")],
        "state": {},
    }


async def request(app: ASGI, path: str) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope_of(path), receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


async def started(app: FastAPI) -> None:
    """Run the app's start-up (the lifespan) and leave it running."""
    inbox: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    app.state.lifespan_task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    message = await outbox.get()
    if message["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"start-up failed: {message}")


async def cpu_per_request(app: ASGI, paths: list[str], requests: int) -> float:
    """Milliseconds of CPU per request, ``requests`` requests rotating over ``paths``."""
    for path in paths:  # every answer cached (or, for the ceiling, warm)
        await request(app, path)
    begin = time.process_time()
    for i in range(requests):
        await request(app, paths[i % len(paths)])
    return (time.process_time() - begin) * 1000 / requests


def app_without(settings: Settings, layer: str | None) -> FastAPI:
    app = create_app(settings)
    if layer is not None:
        app.user_middleware = [m for m in app.user_middleware if _name(m.cls) != layer]
    return app


def _name(factory: Any) -> str:
    return str(getattr(factory, "__name__", type(factory).__name__))


async def measure(url: str, args: argparse.Namespace) -> list[str]:
    paths = pick_targets(url)["article"]
    settings = Settings(database_url=url, rate_limit_anonymous="")
    log = (readdb.BENCH_DIR / "cached-path-access.log").open("w")
    full = app_without(settings, None)
    layers = [_name(m.cls) for m in full.user_middleware]
    apps: dict[str, ASGI] = {"app": full}
    if not args.no_layers:
        # Without the cache's own layers nothing is cached: those are not removed.
        for layer in layers:
            if "cache" not in layer.lower() and layer not in ("answering", "recording"):
                apps[f"without {layer}"] = app_without(settings, layer)
    for app in apps.values():
        await started(app)  # type: ignore[arg-type]
    configure_logging("info", stream=log)  # the access lines to a file, as a server's are
    for path in paths:
        status, _ = await request(full, path)
        if status != 200:
            raise RuntimeError(f"{path}: {status}")
    bodies = sorted([(await request(full, p))[1] for p in paths], key=len)
    answer = readdb.BENCH_DIR / "cached-path-ceiling.json"
    answer.write_bytes(bodies[len(bodies) // 2])
    os.environ["NEWSKB_CEILING_FILE"] = str(answer)
    bare = ceiling.create_app()
    apps["ceiling"] = bare
    best: dict[str, float] = {}
    for _ in range(args.repeats):  # interleaved, so a burst of other work hits them all
        for name, app in apps.items():
            target = ["/ceiling"] if name == "ceiling" else paths
            cpu = await cpu_per_request(app, target, args.requests)
            best[name] = min(best.get(name, cpu), cpu)
    log.close()
    lines = [
        f"{len(paths)} cached article pages, {args.requests} requests per run, best of "
        f"{args.repeats}; layers outermost first: {', '.join(layers)}",
        "",
        "| app | CPU µs/request | layer's cost µs |",
        "|---|---:|---:|",
    ]
    for name, cpu in best.items():
        cost = "" if name in ("app", "ceiling") else f"{(best['app'] - cpu) * 1000:.1f}"
        lines.append(f"| {name} | {cpu * 1000:.1f} | {cost} |")
    lines.append(f"\nratio ceiling/app (CPU): {best['ceiling'] / best['app']:.2f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--url", default=None, help="serve this database instead")
    parser.add_argument("--requests", type=int, default=5000, help="requests per run")
    parser.add_argument("--repeats", type=int, default=5, help="runs per app (best kept)")
    parser.add_argument("--no-layers", action="store_true", help="the app and ceiling only")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args(argv)
    backends = [args.url] if args.url else args.db.split(",")
    for backend in backends:
        url = backend if "://" in backend else readdb.ensure(backend, pg_url=args.pg_url)
        print(f"### {backend}\n")
        print("\n".join(asyncio.run(measure(url, args))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

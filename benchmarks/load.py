"""Read path under load: wrk against uvicorn serving the seed + BBC database, and the ceiling.

    python -m benchmarks.load [--db sqlite,postgresql] [--connections 1,16,64] [--duration 10]
                              [--workers 2] [--repeats 3] [--only article,related]

For each database (built once and cached by ``benchmarks.readdb``) it starts two servers with
the same uvicorn command and workers: the real app (``app.asgi:app``, rate limit off, logs to
/work/bench/) and ``benchmarks.ceiling`` (a bare FastAPI route answering the bytes of a real
article answer). Then wrk (C, one thread: it takes a few percent of a core where a Python client
would need a whole one) drives each endpoint for ``--duration`` seconds per connection count,
rotating over URLs picked from the database: article and entity ids, common words (in many
articles) and rare ones (in 1 to 3). Each cell is ``--repeats`` pairs of runs, the ceiling
right before the endpoint at the same connection count; it reports the pair whose ratio is the
median (requests/s, p50 and p99 latency, the ceiling's requests/s, the ratio), and prints every
pair's ratio as it goes. On two cores one run can swing by half (wrk's connections land
unevenly on the two workers, and wrk itself shares the cores): a single ratio proves little.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import func, make_url, select
from sqlalchemy.orm import Session

from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.db.models import Article, Entity, Event, Mention
from app.kb.search.articles import ArticleFilters, search_articles
from app.kb.search.webquery import STOP_WORDS
from app.kb.sql.pagination import CursorCodec
from benchmarks import readdb
from benchmarks.databases import DEFAULT_PG

ROOT = Path(__file__).resolve().parent.parent
LUA = """
local paths = {}
local next_index = 0
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  next_index = math.random(#paths)
end
function request()
  next_index = next_index % #paths + 1
  return wrk.format("GET", paths[next_index])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""
WORD = re.compile(r"[a-z]{4,}")


@dataclass(frozen=True)
class Cell:
    endpoint: str
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    ratio: float = 1.0  # to the ceiling run paired with it
    ceiling_rps: float = 0.0
    cpu_ms: float = 0.0  # CPU of the serving processes per request (not the database server's)
    ceiling_cpu_ms: float = 0.0


def pick_targets(url: str, *, seed: int = 7, per_kind: int = 40) -> dict[str, list[str]]:
    """URLs per endpoint, chosen from what the database holds (deterministic for a database)."""
    rng = random.Random(seed)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            ids = list(session.scalars(select(Article.id).order_by(Article.id)))
            articles = sorted(rng.sample(ids, min(100, len(ids))))
            per_entity = (
                select(Mention.entity_id, func.count(func.distinct(Mention.article_id)).label("n"))
                .group_by(Mention.entity_id)
                .subquery()
            )
            ranked = list(
                session.execute(
                    select(Entity.id, per_entity.c.n)
                    .join(per_entity, per_entity.c.entity_id == Entity.id)
                    .where(Entity.merged_into_id.is_(None), per_entity.c.n >= 2)
                    .order_by(per_entity.c.n.desc(), Entity.id)
                )
            )
            # The ten most mentioned (the largest co-occurrence sets) and a sample of the rest.
            entities = [r.id for r in ranked[:10]]
            entities += rng.sample([r.id for r in ranked[10:]], min(30, len(ranked) - 10))
            common, rare = _terms(session, rng, per_kind)
            event_ids = list(session.scalars(select(Event.id).order_by(Event.id)))
            events = sorted(rng.sample(event_ids, min(100, len(event_ids))))
    finally:
        engine.dispose()
    return {
        "article": [f"/v1/articles/{i}" for i in articles],
        "entity": [f"/v1/entities/{i}" for i in entities],
        "event": [f"/v1/events/{i}" for i in events],
        "events": ["/v1/events"],
        "timeline": [f"/v1/entities/{i}/timeline" for i in entities],
        "entities?type=person": ["/v1/entities?type=person"],
        "articles?q=common": [f"/v1/articles?q={w}" for w in common],
        "articles?q=rare": [f"/v1/articles?q={w}" for w in rare],
        "search?q=common": [f"/v1/search?q={w}" for w in common],
        "search?q=rare": [f"/v1/search?q={w}" for w in rare],
        "related": [f"/v1/entities/{i}/related" for i in entities],
    }


def _terms(session: Session, rng: random.Random, count: int) -> tuple[list[str], list[str]]:
    """Common words (in 10-50% of articles) and rare ones (1-3), checked by the real search."""
    frequency: Counter[str] = Counter()
    total = 0
    for body in session.scalars(select(Article.body)):
        total += 1
        frequency.update(set(WORD.findall(body.lower())) - STOP_WORDS)
    common_pool = sorted(w for w, n in frequency.items() if 0.1 * total <= n <= 0.5 * total)
    rare_pool = sorted(w for w, n in frequency.items() if n == 1)

    def hits(word: str) -> int:  # up to 4: enough to tell "1 to 3" from more
        page = search_articles(
            session,
            q=word,
            filters=ArticleFilters(),
            sort=None,
            limit=4,
            cursor=None,
            codec=CursorCodec("benchmark"),
        )
        return len(page.items)

    common = rng.sample(common_pool, min(count, len(common_pool)))
    rare: list[str] = []
    for word in rng.sample(rare_pool, len(rare_pool)):  # stemming can make a word less rare
        if 1 <= hits(word) <= 3:
            rare.append(word)
        if len(rare) == count:
            break
    return common, rare


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(
    target: str, *, workers: int, env: dict[str, str], log: Path, http: str = "auto"
) -> Iterator[str]:
    """A uvicorn process group serving ``target``; its base URL once ``/readyz`` answers 200."""
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--no-access-log"]
    command += ["--http", http]
    command += ["--log-level", "warning"]
    if target.endswith(":create_app"):
        command.append("--factory")
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{target} exited with {process.returncode}; see {log}")
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.3)
        GROUPS[base] = process.pid
        yield base
    finally:
        GROUPS.pop(base, None)
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


GROUPS: dict[str, int] = {}  # base URL → the process group serving it


def _group_stats(base: str) -> Iterator[tuple[Path, list[str]]]:
    """Each process serving ``base``: its /proc folder and its stat fields after the name."""
    group = GROUPS[base]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group:  # the fifth field: the process group id
                yield stat.parent, fields
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile


def largest_rss_mb(base: str) -> float:
    """The largest resident memory (VmRSS) among the processes serving ``base``: with
    ``--workers N``, the busiest worker (the supervisor holds no app)."""
    largest = 0
    for folder, _ in _group_stats(base):
        try:
            status = (folder / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                largest = max(largest, int(line.split()[1]))
    return largest / 1024


def group_cpu_seconds(base: str) -> float:
    """User + system CPU spent so far by the processes serving ``base`` (utime, stime)."""
    ticks = sum(int(fields[11]) + int(fields[12]) for _, fields in _group_stats(base))
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk(base: str, paths: list[str], *, connections: int, seconds: int, folder: Path) -> Cell:
    script, listing = folder / "rotate.lua", folder / f"paths-{os.getpid()}.txt"
    script.write_text(LUA)
    listing.write_text("\n".join(paths) + "\n")
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["-s", str(script), base, "--", str(listing)]
    cpu_before = group_cpu_seconds(base)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    cpu = group_cpu_seconds(base) - cpu_before
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    output = done.stdout
    stats = json.loads(output.strip().splitlines()[-1])
    return Cell(
        endpoint="",
        connections=connections,
        rps=stats["requests"] / (stats["duration_us"] / 1e6),
        p50_ms=stats["p50_us"] / 1000,
        p99_ms=stats["p99_us"] / 1000,
        errors=stats["errors"],
        cpu_ms=cpu * 1000 / max(stats["requests"], 1),
    )


def warm(base: str, paths: list[str], passes: int = 4) -> None:
    """Request every URL a few times on fresh connections, so each worker has seen it."""
    for _ in range(passes):
        for path in paths:
            with urllib.request.urlopen(base + path, timeout=60) as answer:
                answer.read()


def ceiling_body(base: str, paths: list[str], folder: Path) -> tuple[Path, int]:
    """The article answer of median size, saved for the ceiling app."""
    bodies = []
    for path in paths:
        with urllib.request.urlopen(base + path, timeout=30) as answer:
            bodies.append(answer.read())
    bodies.sort(key=len)
    median = bodies[len(bodies) // 2]
    target = folder / "ceiling.json"
    target.write_bytes(median)
    return target, len(median)


def run_backend(backend: str, args: argparse.Namespace) -> list[tuple[str, Cell]]:
    url = backend if "://" in backend else readdb.ensure(backend, pg_url=args.pg_url)
    label = Path(make_url(url).database or "db").stem  # for the log files' names
    engine = make_engine(url)
    migrate.upgrade(engine)  # serving migrates first, as `newskb serve` does
    engine.dispose()
    found = pick_targets(url)
    only = args.only.split(",") if args.only else list(found)
    targets = {name: paths for name, paths in found.items() if name in only}
    logs = readdb.BENCH_DIR
    cells: list[tuple[str, Cell]] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        servers = {
            mode: stack.enter_context(
                serving(
                    "app.asgi:app",
                    workers=args.workers,
                    env={
                        "NEWSKB_DATABASE_URL": url,
                        "NEWSKB_RATE_LIMIT_ANONYMOUS": "",
                        **_cache_env(mode, args.cache_size),
                    },
                    log=logs / f"load-app-{label}-{mode}.log",
                    http=args.http,
                )
            )
            for mode in args.modes
        }
        answer, size = ceiling_body(next(iter(servers.values())), found["article"], folder)
        print(f"{backend}: {url}; ceiling body {size} bytes (median article answer)")
        ceiling_base = stack.enter_context(
            serving(
                "benchmarks.ceiling:create_app",
                workers=args.workers,
                env={"NEWSKB_CEILING_FILE": str(answer)},
                log=logs / f"load-ceiling-{label}.log",
                http=args.http,
            )
        )
        runs = [("ceiling", ceiling_base, ["/ceiling"])]
        for mode, base in servers.items():
            label = "" if mode == "cache" else " (no cache)"
            runs += [(name + label, base, paths) for name, paths in targets.items()]
        for _name, base, paths in runs:  # warm every worker's connections and caches
            warm(base, paths)
            wrk(base, paths, connections=16, seconds=args.warmup, folder=folder)
        ceiling_run, endpoint_runs = runs[0], runs[1:]
        for connections in args.connections:
            for name, base, paths in endpoint_runs:
                pairs = []
                for _ in range(args.repeats):  # ceiling, endpoint, ceiling, endpoint...
                    pair = [
                        wrk(b, p, connections=connections, seconds=args.duration, folder=folder)
                        for _, b, p in (ceiling_run, (name, base, paths))
                    ]
                    pairs.append((pair[0], pair[1]))
                cell = paired_median(pairs)
                cells.append((name, cell))
                print(
                    f"  {name:<32}{connections:>4} conn {cell.rps:>8.0f} req/s"
                    f" ratio {cell.ratio:.2f} {cell.cpu_ms:.2f} ms CPU/req (runs: "
                    + ", ".join(f"{e.rps / c.rps:.2f}" for c, e in pairs)
                    + ")",
                    flush=True,
                )
        for mode, base in servers.items():  # the cache full, every endpoint served
            print(f"  RSS after the load ({mode}): {largest_rss_mb(base):.0f} MB, largest worker")
    return cells


def paired_median(pairs: list[tuple[Cell, Cell]]) -> Cell:
    """The endpoint's run whose ratio to the ceiling run just before it is the median.

    Each endpoint run is paired with a ceiling run taken right before it, so a burst of other
    work on the machine, or wrk's connections landing unevenly on the workers, moves both
    sides of a pair; the median pair is the figure reported.
    """
    ranked = sorted(pairs, key=lambda pair: pair[1].rps / pair[0].rps)
    ceiling, endpoint = ranked[len(ranked) // 2]
    return replace(
        endpoint,
        ratio=endpoint.rps / ceiling.rps,
        ceiling_rps=ceiling.rps,
        ceiling_cpu_ms=ceiling.cpu_ms,
    )


def _cache_env(mode: str, size: int | None) -> dict[str, str]:
    """``cache``: the app's default read cache (or ``--cache-size``); ``nocache``: none."""
    if mode == "nocache":
        return {"NEWSKB_READ_CACHE_SIZE": "0"}
    return {} if size is None else {"NEWSKB_READ_CACHE_SIZE": str(size)}


def table(backend: str, cells: list[tuple[str, Cell]]) -> str:
    lines = [
        f"### {backend}",
        "",
        "| endpoint | conn | req/s | p50 ms | p99 ms | CPU ms/req | ceiling req/s "
        "| ceiling CPU ms/req | ratio | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    order = list(dict.fromkeys(name for name, _ in cells))
    for name in order:
        for name_, c in cells:
            if name_ == name:
                lines.append(
                    f"| {name} | {c.connections} | {c.rps:.0f} | {c.p50_ms:.1f} | "
                    f"{c.p99_ms:.1f} | {c.cpu_ms:.2f} | {c.ceiling_rps:.0f} | "
                    f"{c.ceiling_cpu_ms:.2f} | {c.ratio:.2f} | {c.errors} |"
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--connections", default="1,16,64")
    parser.add_argument("--duration", type=int, default=10, help="seconds per cell")
    parser.add_argument("--warmup", type=int, default=2, help="seconds per endpoint")
    parser.add_argument(
        "--repeats", type=int, default=3, help="ceiling/endpoint pairs per cell (median pair)"
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (both servers)")
    parser.add_argument(
        "--modes", default="cache,nocache", help="app servers: with the read cache, without"
    )
    parser.add_argument(
        "--cache-size", type=int, default=None, help="NEWSKB_READ_CACHE_SIZE (default: the app's)"
    )
    parser.add_argument("--only", default="", help="endpoints to run (default: all)")
    parser.add_argument(
        "--http",
        default="h11",
        choices=["h11", "httptools", "auto"],
        help="uvicorn's HTTP parser for both servers (newskb serve runs h11: a bounded head)",
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument(
        "--url",
        default=None,
        help="serve this existing database instead of the read database of --db (e.g. a "
        "benchmarks.scale database: postgresql+psycopg://postgres@127.0.0.1/newskb_scale_100k)",
    )
    args = parser.parse_args(argv)
    args.connections = [int(c) for c in args.connections.split(",")]
    args.modes = args.modes.split(",")
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk")
        return 2
    print(
        f"{os.cpu_count()} cores, uvicorn --workers {args.workers} --http {args.http}, wrk -t1,"
        f" {args.duration} s"
        f" per run, {args.repeats} ceiling/endpoint pairs per cell"
    )
    backends = [args.url] if args.url else args.db.split(",")
    tables = [table(backend, run_backend(backend, args)) for backend in backends]
    print("\n\n".join(tables))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

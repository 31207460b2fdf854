"""Read-path latency at 10,000, 100,000 and 1,000,000 articles in PostgreSQL, in one run.

    python -m benchmarks.scale [--sizes 10000,100000,1000000] [--rounds 20] [--explain]

Builds or reuses (cached by name) ``newskb_scale_base``, ``newskb_scale_10k``,
``newskb_scale_100k`` and ``newskb_scale_1000k`` (about 20 GB) on the server of ``--server``
(how: ``benchmarks/scale_build.py``), then requests the same URLs on every size in-process
through ``TestClient``, the sizes alternating round by round so machine noise hits them
alike, and prints p50/p95 per query with the ratio of each larger size's p95 to the
smallest's. ``--explain`` also captures every SQL statement the URLs send on the largest
database and reports which ones scan a table sequentially.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url

from app.main import create_app
from app.settings import Settings
from benchmarks import scale_build
from benchmarks.scale_build import BASE, url_of

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = Path(os.environ.get("NEWSKB_CORPUS_DIR", ROOT.parent / "shared" / "data" / "news"))
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_MS, TARGET_RATIO = 50.0, 2.0


@dataclass(frozen=True)
class Case:
    name: str
    urls: list[str]


@dataclass
class Samples:
    times: dict[tuple[str, int], list[float]] = field(default_factory=dict)

    def add(self, case: str, size: int, seconds: float) -> None:
        self.times.setdefault((case, size), []).append(seconds * 1000)

    def p(self, case: str, size: int, q: int) -> float:
        return statistics.quantiles(self.times[(case, size)], n=100, method="inclusive")[q - 1]


def _words(connection: Any, low: int, high: int, n: int) -> list[str]:
    """``n`` words found in ``low``–``high`` base articles (lexemes, which stem to themselves)."""
    rows = connection.execute(
        text(
            "SELECT word FROM ts_stat('SELECT search_vector FROM articles')"
            " WHERE ndoc BETWEEN :low AND :high AND word ~ '^[a-z]{5,}$'"
            " AND plainto_tsquery('english', word)::text = quote_literal(word)"
            " ORDER BY md5(word) LIMIT :n"
        ),
        {"low": low, "high": high, "n": n},
    )
    return [row[0] for row in rows]


def _entities(connection: Any, low: int, high: int, n: int) -> list[int]:
    rows = connection.execute(
        text(
            "SELECT entity_id FROM mentions GROUP BY entity_id"
            " HAVING count(DISTINCT article_id) BETWEEN :low AND :high"
            " ORDER BY md5(entity_id::text) LIMIT :n"
        ),
        {"low": low, "high": high, "n": n},
    )
    return [row[0] for row in rows]


def pick_cases(server: URL, per_band: int = 3) -> list[Case]:
    """Query terms and ids chosen from the base (present, unchanged, in every size).

    Terms in 2–3 (rare), 1–2 % (medium) and ~10 % (common) of the base articles; entities in
    1, ~10 and 100+ base articles; articles spread over the base ids.
    """
    engine = create_engine(url_of(server, BASE))
    try:
        with engine.connect() as connection:
            total = int(connection.execute(text("SELECT count(*) FROM articles")).scalar_one())
            terms = (
                _words(connection, 2, 3, per_band)
                + _words(connection, total // 100, total // 50, per_band)
                + _words(connection, total // 12, total // 8, per_band)
            )
            entities = (
                _entities(connection, 1, 1, per_band)
                + _entities(connection, 8, 15, per_band)
                + _entities(connection, 100, total, per_band)
            )
            ids = [
                row[0]
                for row in connection.execute(
                    text("SELECT id FROM articles WHERE id % (:step) = 1 ORDER BY id LIMIT 9"),
                    {"step": max(1, total // 9)},
                )
            ]
    finally:
        engine.dispose()
    q = [quote(t) for t in terms]
    return [
        Case("GET /v1/search?q=", [f"/v1/search?q={t}" for t in q]),
        Case("GET /v1/articles?q=", [f"/v1/articles?q={t}" for t in q]),
        Case("GET /v1/entities/{id}", [f"/v1/entities/{e}" for e in entities]),
        Case("GET /v1/entities/{id}/related", [f"/v1/entities/{e}/related" for e in entities]),
        Case("GET /v1/entities/{id}/timeline", [f"/v1/entities/{e}/timeline" for e in entities]),
        Case("GET /v1/articles/{id}", [f"/v1/articles/{i}" for i in ids]),
        Case("GET /v1/events", EVENT_LISTS),
    ]


# The newest events (every event sorted by date, undated last: migration 0018's index), a
# status, a date window and a type (their own indexes).
EVENT_LISTS = [
    "/v1/events",
    "/v1/events?limit=100",
    "/v1/events?status=occurred",
    "/v1/events?date_from=2005-01-01",
    "/v1/events?type=meeting",
]


def measure(clients: dict[int, TestClient], cases: list[Case], rounds: int) -> Samples:
    samples = Samples()
    for client in clients.values():  # warm-up: caches, pools, the first plan of each query
        for case in cases:
            for url in case.urls:
                client.get(url).raise_for_status()
    for _ in range(rounds):
        for size, client in clients.items():
            for case in cases:
                for url in case.urls:
                    started = time.perf_counter()
                    response = client.get(url)
                    samples.add(case.name, size, time.perf_counter() - started)
                    if response.status_code != 200:
                        raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
    return samples


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def listener(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def seq_scans(plan: dict[str, Any]) -> list[str]:
    found = [plan["Relation Name"]] if plan.get("Node Type") == "Seq Scan" else []
    for child in plan.get("Plans", []):
        found += seq_scans(child)
    return found


def explain(client: TestClient, engine: Engine, cases: list[Case]) -> None:
    """Every statement each case sends, EXPLAINed on the same database with its parameters."""
    print("\nEXPLAIN of every statement sent (largest size): sequential scans found")
    for case in cases:
        with captured(engine) as statements:
            for url in case.urls:
                client.get(url).raise_for_status()
        scans: dict[str, int] = {}
        with engine.connect() as connection:
            for statement, parameters in statements:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
                plan = cursor.fetchone()[0]
                for relation in seq_scans(plan[0]["Plan"]):
                    scans[relation] = scans.get(relation, 0) + 1
        found = ", ".join(f"{r} ×{n}" for r, n in sorted(scans.items())) or "none"
        print(f"  {case.name:<34} {len(statements):>4} statements; seq scans: {found}")


def label(size: int) -> str:
    """10k, 100k, 1M."""
    return f"{size // 1_000_000}M" if size % 1_000_000 == 0 else f"{size // 1000}k"


def table(samples: Samples, cases: list[Case], sizes: list[int]) -> str:
    """p50 and p95 per size, and the p95 ratio of each larger size to the smallest; the
    target holds when every larger size's p95 is within both bounds."""
    small, larger = sizes[0], sizes[1:]
    head = "| query |" + "".join(f" p50 {label(s)} | p95 {label(s)} |" for s in sizes)
    head += "".join(f" p95 {label(s)}/{label(small)} |" for s in larger) + " target |"
    lines = [head, "|---|" + "---:|" * (2 * len(sizes) + len(larger) + 1)]
    for case in cases:
        cells = "".join(
            f" {samples.p(case.name, s, 50):.1f} | {samples.p(case.name, s, 95):.1f} |"
            for s in sizes
        )
        base = samples.p(case.name, small, 95)
        ratios = [samples.p(case.name, s, 95) / base for s in larger]
        ok = all(r <= TARGET_RATIO for r in ratios) and all(
            samples.p(case.name, s, 95) <= TARGET_MS for s in larger
        )
        cells += "".join(f" {r:.2f} |" for r in ratios)
        lines.append(f"| `{case.name}` |{cells} {'met' if ok else 'missed'} |")
    return "\n".join(lines)


def counts(server: URL, name: str) -> str:
    engine = create_engine(url_of(server, name))
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM entities),"
                    " (SELECT count(*) FROM mentions), (SELECT count(*) FROM events)"
                )
            ).one()
    finally:
        engine.dispose()
    size = scale_build.database_size(server, name) / 1e6
    return (
        f"{name}: {row[0]} articles, {row[1]} entities, {row[2]} mentions, "
        f"{row[3]} events, {size:.0f} MB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--server", default=DEFAULT_PG, help="any database URL on the server")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args(argv)
    server = make_url(args.server)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    seconds = scale_build.build_base(server, args.corpus)
    print(f"{BASE}: {f'built in {seconds:.0f} s' if seconds else 'reused'}")
    for size in sizes:
        seconds = scale_build.build_scaled(server, size)
        name = scale_build.scaled_name(size)
        print(f"{name}: {f'built in {seconds:.0f} s' if seconds else 'reused'}")
    for name in [BASE, *map(scale_build.scaled_name, sizes)]:
        print("  " + counts(server, name))
    if args.build_only:
        return 0
    cases = pick_cases(server)
    print("\nURLs:", json.dumps({c.name: c.urls for c in cases}, indent=1))
    with ExitStack() as stack:
        clients: dict[int, TestClient] = {}
        for size in sizes:
            settings = Settings(
                database_url=url_of(server, scale_build.scaled_name(size)),
                rate_limit_anonymous="",
                log_level="warning",
                read_cache_size=0,  # the cost of each query, not of a cached answer
            )
            clients[size] = stack.enter_context(TestClient(create_app(settings)))
        logging.disable(logging.WARNING)
        samples = measure(clients, cases, args.rounds)
        print(f"\n{args.rounds} rounds × {len(cases[0].urls)} URLs per query, ms:\n")
        print(table(samples, cases, sizes))
        if args.explain:
            client = clients[sizes[-1]]
            explain(client, client.app.state.engine, cases)  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Start-up time and resident memory of real API processes, against a bare FastAPI app.

    python -m benchmarks.startup [--db sqlite,postgresql] [--runs 3] [--articles 20]

For each backend: a fresh database, migrated and filled with a few BBC articles through the
real bulk ingest. Then, ``--runs`` times each, real ``uvicorn`` processes are started and
``/readyz`` polled until 200: (1) a bare FastAPI app with one ``/readyz`` route (the baseline,
same uvicorn, same Python), (2) ``app.asgi:app``, which serves a few reads (RSS "read-only";
spaCy must not be mapped in the process), then ingests one article through ``POST
/v1/articles`` (RSS "ingesting", and the time of that first POST, model load included).
RSS is ``VmRSS`` from ``/proc/<pid>/status``. Prints medians and the ratios to the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = Path(os.environ.get("NEWSKB_CORPUS_DIR", ROOT.parent / "shared" / "data" / "news"))
API_KEY = "bench-startup-key-0123456789"
READS = (
    "/v1/articles?limit=20",
    "/v1/entities?limit=50",
    "/v1/events?limit=20",
    "/v1/search?q=bank",
)
POST_TEXT = (
    "Storm hits coast\n\nA storm hit Portugal on Monday and cut power in Lisbon, the national "
    "grid operator REN said. Prime Minister Luis Montenegro visited the city on Tuesday."
)


def bare_app() -> Any:
    """The baseline: FastAPI and uvicorn with nothing of ours (``uvicorn --factory``)."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/readyz")
    def readyz() -> dict[str, str]:
        return {"status": "ok"}

    return app


@dataclass
class Run:
    ready_s: float
    cpu_s: float  # user + system CPU of the server until ready: less load-dependent than wall time
    rss_ready_mb: float
    rss_reads_mb: float | None = None
    spacy_loaded_after_reads: bool | None = None
    first_post_s: float | None = None
    rss_ingesting_mb: float | None = None


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and of its live descendants (a worker's extraction process)."""
    total = cpu_seconds(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
        for child in children:
            with suppress(FileNotFoundError):  # ended meanwhile
                total += tree_cpu_seconds(int(child))
    return total


def maps_spacy(pid: int) -> bool:
    """Whether any spaCy extension module is mapped into the process."""
    return "/spacy/" in Path(f"/proc/{pid}/maps").read_text()


def request(url: str, *, data: bytes | None = None, timeout: float = 120) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@contextmanager
def server(target: list[str], env: dict[str, str], port: int) -> Iterator[tuple[int, float]]:
    """Start uvicorn on ``port``; yield (pid, seconds from start to the first /readyz 200)."""
    command = [sys.executable, "-m", "uvicorn", *target, "--port", str(port)]
    command += ["--log-level", "warning"]
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = started + 60
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(
                        f"{' '.join(target)} exited with {process.returncode}:\n{tail}"
                    )
                try:
                    if request(f"http://127.0.0.1:{port}/readyz", timeout=2)[0] == 200:
                        break
                except OSError:
                    pass
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"{' '.join(target)}: /readyz not 200 within 60 s")
                time.sleep(0.02)
            yield process.pid, time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=30)


def measure_bare(env: dict[str, str], port: int) -> Run:
    with server(["--factory", "benchmarks.startup:bare_app"], env, port) as (pid, ready):
        return Run(ready, cpu_seconds(pid), rss_mb(pid))


def measure_app(env: dict[str, str], port: int, run_number: int) -> Run:
    base = f"http://127.0.0.1:{port}"
    with server(["app.asgi:app"], env, port) as (pid, ready):
        run = Run(ready, cpu_seconds(pid), rss_mb(pid))
        for path in READS:
            status, body = request(base + path)
            if status != 200:
                raise RuntimeError(f"GET {path}: {status} {body[:200]!r}")
        run.rss_reads_mb = rss_mb(pid)
        run.spacy_loaded_after_reads = maps_spacy(pid)
        started = time.perf_counter()
        text = (
            f"{POST_TEXT} The storm was the {run_number + 1}th of the season."  # never a duplicate
        )
        status, body = request(f"{base}/v1/articles", data=json.dumps({"text": text}).encode())
        if status != 201:  # 201: stored, so extraction ran
            raise RuntimeError(f"POST /v1/articles: {status} {body[:200]!r}")
        run.first_post_s = time.perf_counter() - started
        run.rss_ingesting_mb = rss_mb(pid)
        return run


def prepare_database(url: str, corpus: Path, articles: int) -> None:
    """Migrate and fill with a few real articles, so that the reads return something."""
    from itertools import islice

    from app.corpora import iter_bbc
    from app.db import migrate
    from app.db.engine import make_engine, make_sessionmaker
    from app.extract.nlp import DEFAULT_MODELS
    from app.kb.bulk import Document, ingest_documents

    engine = make_engine(url)
    migrate.upgrade(engine)
    documents = [
        Document(name=d.path, text=d.text, title=d.title, source="BBC")
        for d in islice(iter_bbc(corpus / "bbc"), articles)
    ]
    ingest_documents(make_sessionmaker(engine), documents, model_names=DEFAULT_MODELS)
    engine.dispose()


def median(values: list[float | None]) -> float:
    return statistics.median(v for v in values if v is not None)


def main(argv: list[str] | None = None) -> int:
    from benchmarks.databases import fresh_database

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--articles", type=int, default=20, help="BBC articles stored first")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args(argv)
    header = f"{'process':<34}{'ready s':>8}{'ratio':>7}{'CPU s':>7}{'ratio':>7}"
    header += f"{'RSS MB':>8}{'ratio':>7}"
    for backend in args.db.split(","):
        with tempfile.TemporaryDirectory() as folder, fresh_database(backend, Path(folder)) as url:
            prepare_database(url, args.corpus, args.articles)
            env = os.environ | {"NEWSKB_DATABASE_URL": url, "NEWSKB_API_KEYS": API_KEY}
            bare: list[Run] = []
            ours: list[Run] = []
            for number in range(args.runs):  # interleaved, so load changes hit both alike
                bare.append(measure_bare(env, args.port))
                ours.append(measure_app(env, args.port, number))
        b_ready = median([r.ready_s for r in bare])
        b_rss = median([r.rss_ready_mb for r in bare])
        b_cpu = median([r.cpu_s for r in bare])
        print(f"\n{backend}: {args.runs} runs each, medians; {args.articles} articles stored")
        print(header)
        rows = [
            ("bare FastAPI + uvicorn (baseline)", (b_ready, b_cpu), b_rss),
            (
                "newskb at /readyz 200",
                (median([r.ready_s for r in ours]), median([r.cpu_s for r in ours])),
                median([r.rss_ready_mb for r in ours]),
            ),
            ("newskb read-only (after 4 GETs)", None, median([r.rss_reads_mb for r in ours])),
            ("newskb ingesting (after 1 POST)", None, median([r.rss_ingesting_mb for r in ours])),
        ]
        for name, times, rss in rows:
            text = " " * 29
            if times is not None:
                ready, cpu = times
                text = f"{ready:>8.2f}{ready / b_ready:>7.2f}{cpu:>7.2f}{cpu / b_cpu:>7.2f}"
            print(f"{name:<34}{text}{rss:>8.0f}{rss / b_rss:>7.2f}")
        spacy_runs = sum(bool(r.spacy_loaded_after_reads) for r in ours)
        print(f"spaCy mapped after the reads: {spacy_runs} of {len(ours)} runs")
        print(
            f"first POST /v1/articles (model load + extraction): "
            f"{median([r.first_post_s for r in ours]):.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

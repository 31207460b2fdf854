"""Helpers of the end-to-end tests: seed a database with the real ``python -m seed``."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.reliability.server import ROOT, Server, free_port, wait_ready


@dataclass(frozen=True)
class Served:
    base: str  # http://127.0.0.1:<port>
    database_url: str


def run_seed(database_url: str) -> subprocess.CompletedProcess[str]:
    """``python -m seed`` (migrate, then ingest the seed article) against ``database_url``."""
    env = {**os.environ, "NEWSKB_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "seed"], cwd=ROOT, env=env, capture_output=True, text=True
    )


@contextmanager
def serve_command(database_url: str, log_dir: Path, **settings: str) -> Iterator[Server]:
    """Start ``newskb serve --no-migrate`` (uvicorn as the command configures it) on a free
    port; stop it afterwards. Its process is the server's: ``/proc/<pid>`` is the server."""
    env = {**os.environ, "NEWSKB_DATABASE_URL": database_url}
    env |= {f"NEWSKB_{name.upper()}": value for name, value in settings.items()}
    port = free_port()
    log = log_dir / f"newskb-serve-{port}.log"
    command = [sys.executable, "-c", "from app.cli import main; main()", "serve", "--no-migrate"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_ready(server)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=15)

"""Helpers of the end-to-end tests: seed a database with the real ``python -m seed``."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.reliability.server import ROOT, Server, run_server


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
    command = [sys.executable, "-c", "from app.cli import main; main()", "serve", "--no-migrate"]
    command += ["--host", "127.0.0.1"]
    with run_server(command, "newskb-serve", database_url, log_dir, **settings) as server:
        yield server

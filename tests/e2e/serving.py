"""Helpers of the end-to-end tests: seed a database with the real ``python -m seed``."""

import os
import subprocess
import sys
from dataclasses import dataclass

from tests.reliability.server import ROOT


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

"""Run the real app under uvicorn in a subprocess, for tests that need a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    def __init__(self, process: subprocess.Popen[bytes], base: str, log: Path) -> None:
        self.process = process
        self.base = base
        self.log = log

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no rollback, no flush; as a power cut would."""
        self.process.kill()
        self.process.wait(timeout=15)


@contextmanager
def serve(database_url: str, log_dir: Path, **settings: str) -> Iterator[Server]:
    """Start ``uvicorn app.asgi:app`` on a free port; stop it (if still alive) afterwards."""
    command = [sys.executable, "-m", "uvicorn", "app.asgi:app"]
    with run_server(command, "uvicorn", database_url, log_dir, **settings) as server:
        yield server


@contextmanager
def run_server(
    command: list[str], name: str, database_url: str, log_dir: Path, **settings: str
) -> Iterator[Server]:
    """Run ``command --port <free port>`` with ``NEWSKB_`` settings in its environment, wait
    until it answers, and stop it (if still alive) afterwards; its output goes to a log file."""
    env = {**os.environ, "NEWSKB_DATABASE_URL": database_url}
    env |= {f"NEWSKB_{key.upper()}": value for key, value in settings.items()}
    port = free_port()
    log = log_dir / f"{name}-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
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


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"uvicorn exited early: {server.log.read_text()}")
        try:
            if httpx.get(f"{server.base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"uvicorn not ready in 60 s: {server.log.read_text()}")

"""End to end: migrate and seed a fresh database, serve it with a real uvicorn, query it, stop."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import temporary_database

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with temporary_database(tmp_path_factory.mktemp("e2e"), "e2e") as url:
        env = {**os.environ, "NEWSKB_DATABASE_URL": url}
        seeded = subprocess.run(
            [sys.executable, "-m", "seed"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert seeded.returncode == 0, seeded.stderr
        assert "ingested as article" in seeded.stdout
        port = free_port()
        log_path = tmp_path_factory.mktemp("e2e-log") / "uvicorn.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "app.asgi:app", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                _wait_ready(base, process, log_path)
                yield base, url
            finally:
                process.terminate()
                process.wait(timeout=15)


def _wait_ready(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"uvicorn exited early: {log_path.read_text()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail("uvicorn did not become ready in 30 s")


def test_seeded_article_is_served(served: tuple[str, str]) -> None:
    server, _ = served
    page = httpx.get(f"{server}/v1/articles").json()
    assert len(page["items"]) == 1
    article = httpx.get(f"{server}/v1/articles/{page['items'][0]['id']}").json()
    assert "Lukashenko" in article["title"]
    assert article["published_at"].startswith("2021-09-12")
    assert "Skip to content" not in article["body"]


def test_seed_again_changes_nothing(served: tuple[str, str]) -> None:
    server, url = served
    before = httpx.get(f"{server}/v1/articles").json()["items"]
    env = {**os.environ, "NEWSKB_DATABASE_URL": url}
    again = subprocess.run(
        [sys.executable, "-m", "seed"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    assert "already stored as article" in again.stdout
    assert httpx.get(f"{server}/v1/articles").json()["items"] == before

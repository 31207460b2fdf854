"""``newskb serve`` behind a real reverse proxy process (``tests/e2e/revproxy.py``).

Clients come from distinct loopback addresses (127.0.0.2, 127.0.0.3...), as distinct machines
would from the proxy's point of view. No key is configured anywhere: these are the installs that
the loopback rule used to open to anyone who could reach a proxy on the same host.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.databases import temporary_database
from tests.reliability.queueing import wait_for
from tests.reliability.server import ROOT, Server, free_port, wait_ready

pytestmark = pytest.mark.e2e

TEXT = "Flood warning\n\nRivers rose across Bavaria on Tuesday and Munich closed two bridges."
LIMIT = 6  # anonymous requests per minute and per client address (every untrusted-proxied
# request shares the proxy's own bucket: this leaves room for all of them)
COUNTERS = (f"127.0.1.{n}" for n in itertools.count(1))  # a fresh rate bucket for each count


@dataclass(frozen=True)
class Proxied:
    server: Server  # newskb serve, reached directly
    proxy: str  # the reverse proxy in front of it

    def client(self, source: str, *, direct: bool = False) -> httpx.Client:
        """A client whose connections come from the loopback address ``source``."""
        transport = httpx.HTTPTransport(local_address=source)
        base = self.server.base if direct else self.proxy
        return httpx.Client(base_url=base, transport=transport, timeout=120)

    def log_lines(self) -> list[dict[str, object]]:
        lines = self.server.log.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


@contextmanager
def background(command: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "NEWSKB_API_KEYS": "", "NEWSKB_RATE_LIMIT_ANONYMOUS": f"{LIMIT}/minute"}
    env["FORWARDED_ALLOW_IPS"] = "*"  # as the docs once advised: uvicorn's setting, now ignored
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=15)


@contextmanager
def serve_behind_proxy(database_url: str, folder: Path, *options: str) -> Iterator[Proxied]:
    """``newskb serve OPTIONS`` on a free port, with the reverse proxy in front of it."""
    port, proxy_port = free_port(), free_port()
    newskb = [sys.executable, "-c", "from app.cli import main; main()"]
    serve = [*newskb, "serve", "--port", str(port), "--database-url", database_url, *options]
    proxy = [sys.executable, "-m", "tests.e2e.revproxy", str(port), str(proxy_port)]
    log = folder / f"serve-{port}.log"
    with background(serve, log) as process, background(proxy, folder / f"proxy-{port}.log"):
        server = Server(process, f"http://127.0.0.1:{port}", log)
        wait_ready(server)
        proxied = Proxied(server, f"http://127.0.0.1:{proxy_port}")
        _wait_for(proxied)
        yield proxied


def _wait_for(proxied: Proxied) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with proxied.client("127.0.0.1") as client:
                if client.get("/healthz").status_code == 200:
                    return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the reverse proxy did not answer in 30 s")


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with temporary_database(tmp_path_factory.mktemp("proxy-db"), "proxy") as url:
        yield url


@pytest.fixture(scope="module")
def untrusted(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    """The quick-start server (loopback, no key) with a proxy put in front of it."""
    with serve_behind_proxy(database_url, tmp_path_factory.mktemp("untrusted")) as proxied:
        yield proxied


@pytest.fixture(scope="module")
def trusted(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    """The same, with the proxy declared: ``newskb serve --trusted-proxy 127.0.0.1``."""
    folder = tmp_path_factory.mktemp("trusted")
    with serve_behind_proxy(database_url, folder, "--trusted-proxy", "127.0.0.1") as proxied:
        yield proxied


def article_count(proxied: Proxied) -> int:
    with proxied.client(next(COUNTERS), direct=True) as client:
        return len(client.get("/v1/articles", params={"limit": 100}).json()["items"])


@pytest.mark.parametrize("source", ["127.0.0.1", "127.0.0.2"])
def test_a_keyless_write_through_the_proxy_is_refused(untrusted: Proxied, source: str) -> None:
    text = f"{TEXT} Reported from {source}."
    before = article_count(untrusted)
    with untrusted.client(source) as through_proxy:
        refused = through_proxy.post("/v1/articles", json={"text": text})
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert article_count(untrusted) == before
    # The same write, straight from this machine to the loopback-bound server, is accepted.
    with untrusted.client(source, direct=True) as direct:
        assert direct.post("/v1/articles", json={"text": text}).status_code == 201
    assert article_count(untrusted) == before + 1


def test_a_spoofed_forwarded_for_grants_no_write(untrusted: Proxied, trusted: Proxied) -> None:
    spoofed = {"X-Forwarded-For": "127.0.0.1"}
    before = article_count(untrusted)
    for proxied in (untrusted, trusted):
        for direct in (False, True):
            with proxied.client("127.0.0.3", direct=direct) as client:
                response = client.post("/v1/articles", json={"text": TEXT}, headers=spoofed)
            assert response.status_code == 403, (proxied.server.base, direct, response.text)
    assert article_count(untrusted) == before


def test_a_spoofed_forwarded_for_picks_no_rate_bucket(untrusted: Proxied) -> None:
    with untrusted.client("127.0.0.4", direct=True) as client:
        codes = [
            client.get("/v1/articles", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
            for n in range(LIMIT + 1)
        ]
    assert codes == [200] * LIMIT + [429]


def test_behind_a_trusted_proxy_each_client_has_its_own_rate_bucket(trusted: Proxied) -> None:
    spoofed_id = "spoofed-forwarded-for"
    with trusted.client("127.0.0.5") as first, trusted.client("127.0.0.6") as second:
        assert [first.get("/v1/articles").status_code for _ in range(LIMIT + 1)] == [
            *[200] * LIMIT,
            429,
        ]
        assert second.get("/v1/articles").status_code == 200
        # A client cannot name a fresh bucket: the proxy appends its real address.
        spoofed = first.get(
            "/v1/articles",
            headers={"X-Forwarded-For": "203.0.113.9", "X-Request-ID": spoofed_id},
        )
        assert spoofed.status_code == 429

    def access_lines() -> list[dict[str, object]]:
        return [line for line in trusted.log_lines() if line.get("logger") == "newskb.access"]

    # Access lines are written in blocks, in order, a little late: wait for the last request's.
    [last] = wait_for(
        lambda: [line for line in access_lines() if line.get("request_id") == spoofed_id],
        what="the spoofed request's access line",
    )
    assert last["client"] == "127.0.0.5"
    clients = {line["client"] for line in access_lines() if line.get("path") == "/v1/articles"}
    assert {"127.0.0.5", "127.0.0.6"} <= clients
    assert "203.0.113.9" not in clients


def test_serving_behind_a_trusted_proxy_without_a_key_warns_loudly(trusted: Proxied) -> None:
    warnings = [
        line
        for line in trusted.log_lines()
        if line.get("level") == "warning" and "NO API KEY CONFIGURED" in str(line.get("message"))
    ]
    assert len(warnings) == 1
    assert "127.0.0.1/32" in str(warnings[0]["message"])

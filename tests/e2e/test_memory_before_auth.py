"""Memory before authentication (issue 16, item 9), against ``newskb serve`` on a real socket.

A huge request head is refused while it arrives, a write without a valid key is answered 401
before its body is sent, and a body that stalls gets a 408: none of them can make the server
hold memory for an anonymous client.
"""

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import temporary_database
from tests.e2e.serving import run_seed, serve_command
from tests.reliability.server import Server

KEY = "e2e-key"
READ_TIMEOUT = 2.0
HUGE = 64 * 1024 * 1024  # a 64 MB header: the server must not hold it
CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with temporary_database(tmp_path_factory.mktemp("auth"), "auth") as url:
        seeded = run_seed(url)
        assert seeded.returncode == 0, seeded.stderr
        settings = {"api_keys": KEY, "body_read_timeout": str(READ_TIMEOUT)}
        with serve_command(url, tmp_path_factory.mktemp("auth-log"), **settings) as served:
            yield served


def connect(server: Server) -> socket.socket:
    host, port = server.base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def status_of(sock: socket.socket) -> int:
    """The status code of the answer on ``sock`` (its first line)."""
    answer = b""
    while b"\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer.split(b" ", 2)[1])


def post_head(length: int, content_type: str, key: str | None = None) -> bytes:
    lines = [
        "POST /v1/articles HTTP/1.1",
        "Host: 127.0.0.1",
        f"Content-Type: {content_type}",
        f"Content-Length: {length}",
    ]
    if key is not None:
        lines.append(f"Authorization: Bearer {key}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def test_a_huge_header_is_refused_while_it_arrives(server: Server) -> None:
    before = rss_bytes(server.process.pid)
    sent = 0
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: ")
        chunk = b"a" * CHUNK
        try:
            while sent < HUGE:
                sock.sendall(chunk)
                sent += len(chunk)
            sock.sendall(b"\r\n\r\n")
            status: int | None = status_of(sock)
        except (BrokenPipeError, ConnectionResetError):
            status = None  # refused and closed while the head was still arriving
    assert status is None or status in (400, 431), status
    assert status is not None or sent < HUGE
    grown = rss_bytes(server.process.pid) - before
    assert grown < 16 * 1024 * 1024, f"server RSS grew by {grown} bytes"
    assert server.process.poll() is None


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_a_write_without_a_valid_key_is_refused_before_its_body(
    server: Server, key: str | None
) -> None:
    length = 4_000_000  # declared, within the body limit; only the first chunk is ever sent
    with connect(server) as sock:
        sock.sendall(post_head(length, "application/json", key))
        sock.sendall(b'{"text": "' + b"a" * CHUNK)
        started = time.monotonic()
        status = status_of(sock)
    assert status == 401
    assert time.monotonic() - started < READ_TIMEOUT  # not the body deadline's answer


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_a_stalled_body_gets_a_408(server: Server, content_type: str) -> None:
    with connect(server) as sock:
        sock.sendall(post_head(1000, content_type, KEY))
        sock.sendall(b'{"text": "a')  # then nothing: the client stalls
        started = time.monotonic()
        status = status_of(sock)
    assert status == 408
    assert READ_TIMEOUT - 0.5 < time.monotonic() - started < READ_TIMEOUT + 5

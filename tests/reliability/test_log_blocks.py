"""Access lines written in blocks (``NEWSKB_ACCESS_LOG_FLUSH_MS``): late by at most the
interval, whole, in order, never lost at exit and never written twice by a forked child."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.logging import BLOCK_BYTES, configure_logging, log_access

ROOT = Path(__file__).resolve().parents[2]


class CountingStream(io.StringIO):
    """A stream that remembers each ``write`` call's text."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


@pytest.fixture
def access() -> Iterator[logging.Logger]:
    yield logging.getLogger("newskb.access")
    logging.getLogger("newskb").propagate = True
    configure_logging("info", stream=io.StringIO())  # the next test starts unbuffered


def configure(stream: io.StringIO, flush_ms: int = 0) -> None:
    """Our handler alone sees the lines: pytest puts its own capturing handlers on the root
    logger (and on a non-propagating one as a test starts), and with any other handler on the
    way a line goes through the logging module, which writes it at once."""
    configure_logging("info", stream=stream, flush_ms=flush_ms)
    logging.getLogger("newskb").propagate = False


def served(logger: logging.Logger, path: str) -> None:
    log_access(
        logger, method="GET", path=path, route=path, status=200, duration_ms=1.0, client=None
    )


def lines_of(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_info_lines_wait_then_come_whole_and_in_order(access: logging.Logger) -> None:
    stream = CountingStream()
    configure(stream, flush_ms=100)
    for number in range(5):
        served(access, f"/{number}")
    assert stream.getvalue() == ""  # waiting
    deadline = time.monotonic() + 5
    while not stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [line["path"] for line in lines_of(stream)] == [f"/{n}" for n in range(5)]
    assert len(stream.writes) == 1  # one block


def test_a_full_block_is_written_at_once_in_whole_lines(access: logging.Logger) -> None:
    stream = CountingStream()
    configure(stream, flush_ms=60_000)  # only size can flush here
    count = 3 * BLOCK_BYTES // 100
    for number in range(count):
        served(access, f"/{number:04d}" + "x" * 40)
    assert stream.writes, "a block's worth of lines was still waiting"
    assert all(len(block) <= BLOCK_BYTES and block.endswith("\n") for block in stream.writes)
    logging.getLogger("newskb").handlers[0].flush()
    assert len(lines_of(stream)) == count


@pytest.mark.parametrize("level", [logging.INFO, logging.WARNING])
def test_any_other_line_is_written_at_once_after_the_lines_before_it(
    access: logging.Logger, level: int
) -> None:
    stream = CountingStream()
    configure(stream, flush_ms=60_000)
    served(access, "/")
    logging.getLogger("newskb.server").log(level, "Shutting down")
    assert [line["message"] for line in lines_of(stream)] == ["GET / 200", "Shutting down"]


def test_unbuffered_by_default_each_line_at_once(access: logging.Logger) -> None:
    stream = CountingStream()
    configure(stream)
    served(access, "/")
    assert len(lines_of(stream)) == 1


def test_reconfiguring_writes_what_the_old_handler_held(access: logging.Logger) -> None:
    first = CountingStream()
    configure(first, flush_ms=60_000)
    served(access, "/")
    configure_logging("info", stream=io.StringIO())
    assert len(lines_of(first)) == 1


SCRIPT = """
import logging, os, sys
from app.logging import configure_logging, log_access
configure_logging("info", flush_ms=60_000)
access = logging.getLogger("newskb.access")
def served(path):
    log_access(
        access, method="GET", path=path, route=path, status=200, duration_ms=1.0, client=None
    )
served("/before-the-fork")
pid = os.fork()
if pid == 0:
    served("/in-the-child")
    sys.exit(0)  # exits through logging.shutdown: the child's own line only
os.waitpid(pid, 0)
served("/after-the-fork")
"""


def test_nothing_is_lost_at_exit_or_written_twice_by_a_forked_child() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    paths = [json.loads(line)["path"] for line in done.stderr.splitlines()]
    assert sorted(paths) == ["/after-the-fork", "/before-the-fork", "/in-the-child"]
    assert paths[0] == "/before-the-fork"  # written before the fork, by the parent

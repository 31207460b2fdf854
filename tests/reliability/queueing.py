"""A real RabbitMQ queue for a test: its own queue name, real ``newskb worker`` processes.

The broker is the machine's (``NEWSKB_TEST_QUEUE_URL``, default RabbitMQ on 127.0.0.1:5672);
tests that need it are skipped, with the reason, when it does not answer. Each test's queue
(and Dramatiq's delay and dead-letter queues beside it) is deleted afterwards.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pika
import pytest
from sqlalchemy import create_engine, text

from tests.reliability.server import ROOT

WORKER = [sys.executable, "-c", "from app.cli import main; main()", "worker"]
QUEUE_URL = os.environ.get("NEWSKB_TEST_QUEUE_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def broker_address() -> tuple[str, int]:
    parameters = pika.URLParameters(QUEUE_URL)
    return parameters.host, parameters.port


def broker_reachable() -> bool:
    try:
        with socket.create_connection(broker_address(), timeout=2):
            return True
    except OSError:
        return False


needs_broker = pytest.mark.skipif(
    not broker_reachable(),
    reason=f"needs RabbitMQ at {broker_address()[0]}:{broker_address()[1]} "
    "(NEWSKB_TEST_QUEUE_URL; .ci/run starts it with `rabbitmq-server -detached`)",
)


@contextmanager
def fresh_queue() -> Iterator[str]:
    """A fresh queue name; the queue and its delay and dead-letter queues deleted afterwards."""
    name = f"newskb-test-{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        connection = pika.BlockingConnection(pika.URLParameters(QUEUE_URL))
        try:
            channel = connection.channel()
            for queue in (name, f"{name}.DQ", f"{name}.XQ"):
                channel.queue_delete(queue)
        finally:
            connection.close()


def ready_messages(queue: str) -> int:
    """Messages waiting in the queue (delivered but unacknowledged ones not counted)."""
    connection = pika.BlockingConnection(pika.URLParameters(QUEUE_URL))
    try:
        declared = connection.channel().queue_declare(queue, passive=True)
        count: int = declared.method.message_count
        return count
    finally:
        connection.close()


class Worker:
    """One ``newskb worker`` process (its own process group: a kill takes its children)."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    def wait_ready(self, count: int = 1) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.log.read_text(errors="replace").count("worker ready") >= count:
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited early: {self.log.read_text()}")
            time.sleep(0.2)
        raise RuntimeError(f"the worker was not ready in 90 s: {self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a power cut would: no ack, no cleanup."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def worker(
    database_url: str,
    log_dir: Path,
    *,
    queue_url: str = QUEUE_URL,
    processes: int = 1,
    **settings: str,
) -> Iterator[Worker]:
    """Start ``newskb worker`` with these ``NEWSKB_`` settings; stop it afterwards."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSKB_DATABASE_URL": database_url}
    env |= {"NEWSKB_QUEUE_URL": queue_url}
    env |= {f"NEWSKB_{key.upper()}": value for key, value in settings.items()}
    log = log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*WORKER, "--processes", str(processes)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Worker(process, log)
    try:
        running.wait_ready(processes)
        yield running
    finally:
        running.stop()


def wait_for(
    condition: Callable[[], Any], *, timeout: float = 60, what: str = "the condition"
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def job(base: str, job_id: int) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(f"{base}/v1/jobs/{job_id}", timeout=10).json()
    return answer


def finished(base: str, job_id: int, timeout: float = 90) -> dict[str, Any]:
    """The job once done or failed."""

    def check() -> dict[str, Any] | None:
        found = job(base, job_id)
        return found if found["state"] in ("done", "failed") else None

    result: dict[str, Any] = wait_for(check, timeout=timeout, what=f"job {job_id} finishing")
    return result


def scalar(database_url: str, sql: str, **params: Any) -> Any:
    """One value read straight from the database (not through the app or a proxy)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def rabbitmqctl_usable() -> str | None:
    """Why the broker cannot be restarted from here, or None when ``rabbitmqctl`` can."""
    if shutil.which("rabbitmqctl") is None:
        return "rabbitmqctl is not installed on this machine"
    if broker_address()[0] not in ("127.0.0.1", "localhost"):
        return f"the test broker at {broker_address()[0]} is not this machine's"
    try:
        status = subprocess.run(
            ["rabbitmqctl", "status"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"rabbitmqctl status failed: {exc}"
    if status.returncode != 0:
        return f"rabbitmqctl cannot reach the node (not root, or no cookie): {status.stderr[-200:]}"
    return None


def rabbitmqctl(*args: str, timeout: float = 120) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=timeout)


@contextmanager
def broker_restarts_exclusively() -> Iterator[Callable[[], None]]:
    """A function that stops and starts the broker; RabbitMQ is running again afterwards,
    whatever happens. A file lock keeps two such tests (in two pytest runs) from overlapping."""
    with open(Path(tempfile.gettempdir()) / "newskb-broker-restart.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:

            def restart() -> None:
                rabbitmqctl("stop_app")
                time.sleep(2)  # the workers see the broker gone, and try again
                rabbitmqctl("start_app")
                rabbitmqctl("await_startup")

            yield restart
        finally:
            try:
                rabbitmqctl("start_app")  # a no-op when it runs
            finally:
                rabbitmqctl("await_startup")
                fcntl.flock(lock, fcntl.LOCK_UN)

"""Costly lists cannot starve the article page and /readyz (a real uvicorn on PostgreSQL).

Sixteen list requests that cannot finish (the table they read is locked by the test) are in
flight at once; a page by id and /readyz must still answer 200 while they are.
"""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text

from tests.databases import backend, temporary_database
from tests.e2e.serving import run_seed
from tests.reliability.server import Server, serve

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        backend() != "postgresql",
        reason="holds a PostgreSQL table lock to keep requests in flight (NEWSKB_DATABASE_URL)",
    ),
]
IN_FLIGHT = 16  # more than the pool's 15 connections


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    with temporary_database(tmp_path, "admission") as url:
        seeded = run_seed(url)
        assert seeded.returncode == 0, seeded.stderr
        # Budgets long enough that the blocked lists stay in flight for the whole test.
        settings = {"db_read_timeout_ms": "60000", "db_lock_timeout_ms": "60000"}
        with serve(url, tmp_path, **settings) as server:
            yield server, url


def test_article_page_and_readyz_answer_while_lists_are_stuck(
    served: tuple[Server, str],
) -> None:
    server, url = served
    article_id = httpx.get(f"{server.base}/v1/articles").json()["items"][0]["id"]
    locker = create_engine(url)
    try:
        with locker.connect() as lock, ThreadPoolExecutor(IN_FLIGHT) as pool:
            lock.execute(text("LOCK TABLE entity_stats IN ACCESS EXCLUSIVE MODE"))
            # Distinct URLs: the read cache would make identical ones share one build.
            stuck = [
                pool.submit(httpx.get, f"{server.base}/v1/entities?limit={n}", timeout=120)
                for n in range(1, IN_FLIGHT + 1)
            ]
            _wait_for_blocked(locker)
            page = httpx.get(f"{server.base}/v1/articles/{article_id}", timeout=60)
            ready = httpx.get(f"{server.base}/readyz", timeout=60)
            blocked_meanwhile = _blocked(locker)
            lock.rollback()  # release the lock: the admitted lists finish
            statuses = sorted(f.result().status_code for f in stuck)
        assert page.status_code == 200, page.text[:300]
        assert ready.status_code == 200, ready.text[:300]
        assert blocked_meanwhile > 0  # the lists were still in flight
        # The admitted lists answered; the others were told the server is busy.
        assert set(statuses) <= {200, 503}
        assert 200 in statuses
    finally:
        locker.dispose()


def _blocked(engine: Engine) -> int:
    """Backends of this database waiting for a lock."""
    with engine.connect() as watcher:
        return int(
            watcher.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def _wait_for_blocked(engine: Engine) -> None:
    deadline = time.monotonic() + 30
    while _blocked(engine) == 0:
        assert time.monotonic() < deadline, "no list request reached the locked table"
        time.sleep(0.1)
    time.sleep(1.5)  # let the rest arrive: admitted ones block, the others wait their turn

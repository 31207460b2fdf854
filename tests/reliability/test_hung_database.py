"""A database that takes bytes and never answers: every request ends in a 503, in bounded time.

A TcpProxy between a real uvicorn and PostgreSQL is frozen: the open connections stay open
and new ones are accepted, but nothing is delivered any more (a hung server, a black-holing
network). TCP keepalives cannot see it (the proxy's kernel acknowledges every byte) and the
server cannot enforce its statement_timeout; only the client's own deadlines end the wait.
"""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.db import migrate
from app.db.engine import make_engine
from app.settings import Settings
from tests.conftest import API_KEY
from tests.databases import backend, temporary_database
from tests.reliability.server import Server, serve
from tests.reliability.tcpproxy import TcpProxy

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        backend() != "postgresql",
        reason="SQLite runs in-process: there is no server to hang (needs NEWSKB_DATABASE_URL)",
    ),
]
STORY = "Bridge reopens\n\nThe main bridge of Riga reopened on Friday after two years of repairs."
DEFAULTS = Settings(database_url="sqlite://")
# The documented worst cases (docs/operations.md, "Limits"), plus a margin for a loaded machine.
READ_BOUND = (
    2.5  # the read cache's version query
    + DEFAULTS.db_read_timeout_ms / 1000
    + DEFAULTS.db_deadline_grace
    + DEFAULTS.db_connect_timeout
    + 10
)
WRITE_BOUND = (
    DEFAULTS.db_statement_timeout_ms / 1000
    + DEFAULTS.db_deadline_grace
    + DEFAULTS.db_connect_timeout
    + 10
)


@pytest.fixture
def frozen_later(tmp_path: Path) -> Iterator[tuple[Server, TcpProxy, int]]:
    """A real server (read cache on) through a proxy, one article stored, the pool warm."""
    with temporary_database(tmp_path, "hung") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        real = make_url(url)
        with TcpProxy((real.host or "127.0.0.1", real.port or 5432)) as proxy:
            through = real.set(host="127.0.0.1", port=proxy.port)
            with serve(
                through.render_as_string(hide_password=False), tmp_path, api_keys=API_KEY
            ) as server:
                created = httpx.post(
                    f"{server.base}/v1/articles",
                    json={"text": STORY},
                    headers={"Authorization": f"Bearer {API_KEY}"},
                    timeout=120,
                )
                assert created.status_code == 201, created.text
                for path in ("/v1/articles", f"/v1/articles/{created.json()['id']}"):
                    assert httpx.get(server.base + path, timeout=30).status_code == 200
                try:
                    yield server, proxy, created.json()["id"]
                finally:
                    # Stop the server on a database that answers: stuck in a read of a frozen
                    # socket, worker threads keep a SIGTERMed uvicorn from exiting in time.
                    proxy.restore()


def test_a_hung_database_gives_503_to_reads_writes_and_readyz(
    frozen_later: tuple[Server, TcpProxy, int],
) -> None:
    server, proxy, article_id = frozen_later
    proxy.freeze()

    def get(path: str) -> httpx.Response:
        # Without client-side deadlines this waits for ever: the timeout is the failure.
        return httpx.get(server.base + path, timeout=READ_BOUND)

    def post() -> httpx.Response:
        return httpx.post(
            f"{server.base}/v1/articles",
            json={"text": STORY.replace("Riga", "Tartu")},
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=WRITE_BOUND,
        )

    with ThreadPoolExecutor(8) as pool:
        reads = {
            path: pool.submit(get, path)
            for path in ("/v1/articles", f"/v1/articles/{article_id}", "/v1/entities", "/readyz")
        }
        write = pool.submit(post)
        answers = {path: future.result() for path, future in reads.items()}
        answers["POST /v1/articles"] = write.result()
    for what, response in answers.items():
        assert response.status_code == 503, (what, response.text[:300])
        if what != "/readyz":
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["type"].endswith("/database-unavailable"), what
            assert int(response.headers["retry-after"]) > 0


def test_the_api_recovers_when_the_database_answers_again(
    frozen_later: tuple[Server, TcpProxy, int],
) -> None:
    server, proxy, article_id = frozen_later
    proxy.freeze()
    assert httpx.get(f"{server.base}/readyz", timeout=READ_BOUND).status_code == 503
    proxy.restore()
    for _ in range(30):  # the read cache backs off for a few seconds after a failure
        if httpx.get(f"{server.base}/readyz", timeout=READ_BOUND).status_code == 200:
            break
        time.sleep(0.5)
    else:
        pytest.fail("/readyz never came back")
    article = httpx.get(f"{server.base}/v1/articles/{article_id}", timeout=READ_BOUND)
    assert article.status_code == 200

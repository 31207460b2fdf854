"""Database outage: 503 problem+json quickly, /readyz 503, and recovery without a restart.

A TcpProxy the test controls sits between the app and PostgreSQL; cutting it is the outage.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.db import migrate
from app.db.engine import make_engine
from app.main import create_app
from app.settings import Settings
from tests.conftest import API_KEY
from tests.databases import backend, temporary_database
from tests.reliability.tcpproxy import TcpProxy

pytestmark = pytest.mark.skipif(
    backend() != "postgresql", reason="needs PostgreSQL (NEWSKB_DATABASE_URL) to cut it off"
)
STORY = "Bridge reopens\n\nThe main bridge of Riga reopened on Friday after two years of repairs."
FAST = 7.0  # seconds: connect_timeout is 5


@pytest.fixture
def proxied() -> Iterator[tuple[TestClient, TcpProxy]]:
    with temporary_database(Path("."), "outage") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        real = make_url(url)
        with TcpProxy((real.host or "127.0.0.1", real.port or 5432)) as proxy:
            through = real.set(host="127.0.0.1", port=proxy.port)
            settings = Settings(
                database_url=through.render_as_string(hide_password=False), api_keys=API_KEY
            )
            app = create_app(settings)
            with TestClient(app, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
                assert client.get("/readyz").status_code == 200
                assert client.get("/v1/articles").status_code == 200  # the pool holds a conn
                yield client, proxy


def timed_get(client: TestClient, path: str) -> tuple[int, float, dict[str, str], str]:
    started = time.monotonic()
    response = client.get(path)
    return response.status_code, time.monotonic() - started, dict(response.headers), response.text


def test_readyz_is_503_while_the_database_is_cut_off(
    proxied: tuple[TestClient, TcpProxy],
) -> None:
    client, proxy = proxied
    proxy.cut()
    status, elapsed, _, _ = timed_get(client, "/readyz")
    assert status == 503
    assert elapsed < FAST


def test_reads_answer_503_problem_quickly_while_cut_off(
    proxied: tuple[TestClient, TcpProxy],
) -> None:
    client, proxy = proxied
    proxy.cut()
    for path in ("/v1/articles", "/v1/articles/1", "/v1/entities", "/v1/events"):
        status, elapsed, headers, body = timed_get(client, path)
        assert status == 503, (path, body[:200])
        assert headers["content-type"].startswith("application/problem+json")
        assert int(headers["retry-after"]) > 0
        assert elapsed < FAST, (path, elapsed)


def test_ingest_answers_503_while_cut_off(proxied: tuple[TestClient, TcpProxy]) -> None:
    client, proxy = proxied
    proxy.cut()
    response = client.post("/v1/articles", json={"text": STORY})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_silent_database_gives_503_within_the_connect_timeout(
    proxied: tuple[TestClient, TcpProxy],
) -> None:
    client, proxy = proxied
    proxy.stall()
    status, elapsed, _, body = timed_get(client, "/v1/articles")
    assert status == 503, body[:200]
    assert elapsed < FAST + 5  # a dropped pooled connection, then one bounded connect


def test_service_resumes_by_itself_when_the_database_is_back(
    proxied: tuple[TestClient, TcpProxy],
) -> None:
    client, proxy = proxied
    proxy.cut()
    assert client.get("/v1/articles").status_code == 503
    proxy.restore()
    deadline = time.monotonic() + 15
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "not ready 15 s after the database came back"
        time.sleep(0.2)
    assert client.get("/v1/articles").status_code == 200
    created = client.post("/v1/articles", json={"text": STORY})
    assert created.status_code == 201
    assert client.get(f"/v1/articles/{created.json()['id']}").status_code == 200

"""A chunked body over the limit, sent to a real uvicorn: 413 long before it is all sent."""

from collections.abc import Iterator

import httpx
import pytest

from app.db import migrate
from app.db.engine import make_engine
from tests.conftest import API_KEY
from tests.databases import temporary_database
from tests.reliability.server import Server, serve

pytestmark = pytest.mark.e2e
LIMIT = 200_000
CHUNK = 65_536
CHUNKS = 400  # 26 MB offered


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("stream")
    with temporary_database(folder, "stream") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        with serve(url, folder, api_keys=API_KEY, max_body_bytes=str(LIMIT)) as running:
            yield running


def test_chunked_body_over_the_limit_is_413_before_it_is_all_sent(server: Server) -> None:
    offered = 0

    def chunks() -> Iterator[bytes]:
        nonlocal offered
        for _ in range(CHUNKS):
            offered += CHUNK
            yield b"x" * CHUNK

    response = httpx.post(
        f"{server.base}/v1/articles",
        content=chunks(),
        headers={"content-type": "text/plain", "Authorization": f"Bearer {API_KEY}"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert offered < CHUNKS * CHUNK, "the whole body was sent before the answer"


def test_server_is_healthy_after_refusing_a_huge_body(server: Server) -> None:
    big = b"x" * (LIMIT * 5)
    refused = httpx.post(
        f"{server.base}/v1/articles",
        content=big,
        headers={"content-type": "text/plain", "Authorization": f"Bearer {API_KEY}"},
        timeout=30,
    )
    assert refused.status_code == 413
    assert httpx.get(f"{server.base}/healthz", timeout=5).status_code == 200
    assert httpx.get(f"{server.base}/v1/articles", timeout=5).status_code == 200

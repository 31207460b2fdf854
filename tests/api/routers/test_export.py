"""GET /v1/export: streamed files with the right media type, problems for bad requests."""

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db.engine import make_engine, make_sessionmaker
from app.db.models import Article, Entity
from app.main import create_app
from app.settings import Settings
from tests.conftest import API_KEY
from tests.kb.export.corpus import export_database


@pytest.fixture(scope="module")
def export_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with export_database(tmp_path_factory.mktemp("export")) as url:
        yield url


@pytest.fixture
def export_app(export_url: str) -> FastAPI:
    """The real app on a committed database: the streamed body opens its own session."""
    return create_app(Settings(database_url=export_url, api_keys=API_KEY))


@pytest.fixture
def api(export_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(export_app) as client:
        yield client


def _count(url: str, column: Any) -> int:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return session.scalar(select(func.count(column))) or 0
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("fmt", "media_type", "filename"),
    [
        ("jsonl", "application/x-ndjson", "newskb-articles.jsonl"),
        ("jsonld", "application/ld+json", "newskb.jsonld"),
        ("csv-entities", "text/csv; charset=utf-8", "newskb-entities.csv"),
        ("csv-events", "text/csv; charset=utf-8", "newskb-events.csv"),
    ],
)
def test_each_format_downloads_as_a_named_file(
    api: TestClient, fmt: str, media_type: str, filename: str
) -> None:
    response = api.get("/v1/export", params={"format": fmt})
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
    assert len(response.content) > 1000


def test_jsonl_has_every_article_and_csv_every_entity(api: TestClient, export_url: str) -> None:
    lines = api.get("/v1/export?format=jsonl").text.splitlines()
    assert [json.loads(line)["id"] for line in lines] == list(range(1, 7))
    assert len(lines) == _count(export_url, Article.id)
    rows = api.get("/v1/export?format=csv-entities").text.splitlines()
    assert len(rows) - 1 == _count(export_url, Entity.id)


def test_ftm_lines_are_followthemoney_entities(api: TestClient) -> None:
    ftm = pytest.importorskip("followthemoney", reason="the ftm export needs the ftm extra")
    response = api.get("/v1/export?format=ftm")
    assert response.status_code == 200
    schemata = {
        ftm.model.get_proxy(json.loads(line), cleaned=False).schema.name
        for line in response.text.splitlines()
    }
    assert {"Article", "Mention", "Person", "Organization", "Event"} <= schemata


def test_an_unknown_format_is_a_422_problem(api: TestClient) -> None:
    response = api.get("/v1/export?format=xml")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["query", "format"]


def test_the_format_is_required(api: TestClient) -> None:
    assert api.get("/v1/export").status_code == 422


def test_ftm_without_its_package_is_a_501_problem(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "followthemoney", None)
    response = api.get("/v1/export?format=ftm")
    assert response.status_code == 501
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/export-unavailable")
    assert "newskb[ftm]" in response.json()["detail"]


def test_reads_behind_a_key_need_it_for_exports_too(export_url: str) -> None:
    settings = Settings(database_url=export_url, api_keys=API_KEY, require_key_for_reads=True)
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/export?format=jsonl").status_code == 401
        authorized = {"Authorization": f"Bearer {API_KEY}"}
        assert client.get("/v1/export?format=jsonl", headers=authorized).status_code == 200


def test_the_body_leaves_in_several_chunks(export_app: FastAPI) -> None:
    """At the ASGI level (TestClient joins the body): more than one body message."""
    messages: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/export",
        "raw_path": b"/v1/export",
        "root_path": "",
        "query_string": b"format=jsonld",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if requests:
            return requests.pop()
        await anyio.sleep_forever()  # the client never leaves; cancelled when the body ends
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    anyio.run(export_app, scope, receive, send)
    assert messages[0]["status"] == 200
    bodies = [m for m in messages if m["type"] == "http.response.body" and m.get("body")]
    assert len(bodies) > 1
    document = json.loads(b"".join(m["body"] for m in bodies))
    assert len(document["@graph"]) > 50


def test_an_unreachable_database_is_a_503_problem_before_any_byte(tmp_path: Path) -> None:
    """The first rows are read before the status line: no 200 with an empty or cut body."""
    missing = tmp_path / "no-such-folder" / "newskb.db"
    settings = Settings(database_url=f"sqlite:///{missing}", read_cache_size=0)
    with TestClient(create_app(settings)) as client:
        response = client.get("/v1/export?format=jsonl")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "content-disposition" not in response.headers
    assert response.json()["type"].endswith("/database-unavailable")

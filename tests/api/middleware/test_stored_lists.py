"""The stored lists' plain pages answered before routing (``StoredLists``) are what the routes
answer: status, headers and bytes, for the requests it answers and for every request it must
leave to them.

On committed data: the stored items are read on a connection of their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.deps import MAX_CURSOR_LENGTH
from app.api.middleware import stored_lists as stored
from app.api.middleware.stored_lists import StoredLists
from app.db import migrate
from app.db.engine import make_engine
from app.db.models import Entity
from app.kb import curate
from app.kb.answers import AnswerReader
from app.kb.ingest import ingest_article
from app.kb.sql.pagination import MAX_LIMIT
from app.main import create_app
from app.schemas.common import MAX_ID
from app.settings import Settings
from tests.databases import temporary_database
from tests.factories import meeting_article

SECRET = "s" * 32
REPORTS = 7


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    """Meetings on REPORTS days, committed; then Lukashenko merged into Putin."""
    with temporary_database(tmp_path_factory.mktemp("stored_lists"), "stored_lists") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        with Session(engine) as session:
            for n in range(REPORTS):
                body = f"Vladimir Putin met Alexander Lukashenko in Russia on Thursday, report {n}."
                ingest_article(session, meeting_article(body, day=date(2021, 9, 1 + n)))
            names = dict(session.execute(select(Entity.name, Entity.id)).all())
            curate.merge_entities(session, names["Alexander Lukashenko"], names["Vladimir Putin"])
        engine.dispose()
        yield url, names


def app_of(url: str, *, routed: bool = False, **settings: Any) -> FastAPI:
    app = create_app(
        Settings(database_url=url, read_cache_size=0, cursor_secret=SECRET, **settings)
    )
    if routed:  # the routes alone: the app as it was before the middleware
        stored: Any = StoredLists
        app.user_middleware = [m for m in app.user_middleware if m.cls is not stored]
    return app


@pytest.fixture(scope="module")
def clients(database: tuple[str, dict[str, int]]) -> Iterator[tuple[TestClient, TestClient]]:
    url, _ = database
    with TestClient(app_of(url)) as fast, TestClient(app_of(url, routed=True)) as routed:
        yield fast, routed


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the middleware answered (it records the route only when it answers)."""
    paths: list[str] = []
    route = StoredLists._route

    def spy(self: StoredLists, app: Any, template: str) -> Any:
        paths.append(template)
        return route(self, app, template)

    monkeypatch.setattr(StoredLists, "_route", spy)
    return paths


def same_answer(
    clients: tuple[TestClient, TestClient], url: str, headers: dict[str, str] | None = None
) -> Any:
    fast, routed = clients
    answers = [
        client.get(url, headers=headers, follow_redirects=False) for client in (fast, routed)
    ]
    got, expected = (
        (a.status_code, [h for h in a.headers.items() if h[0] != "x-request-id"], a.content)
        for a in answers
    )
    assert got == expected, url
    return answers[0]


def first_cursor(clients: tuple[TestClient, TestClient], path: str) -> str:
    cursor = clients[1].get(f"{path}?limit=2").json()["next_cursor"]
    assert isinstance(cursor, str)
    return cursor


def test_plain_pages_are_answered_before_routing_with_the_routes_bytes(
    database: tuple[str, dict[str, int]],
    clients: tuple[TestClient, TestClient],
    answered: list[str],
) -> None:
    putin = database[1]["Vladimir Putin"]
    for path in ("/v1/events", f"/v1/entities/{putin}/timeline"):
        cursor = first_cursor(clients, path)
        plain = ["", "?limit=2", "?limit=100", f"?cursor={cursor}", f"?limit=3&cursor={cursor}"]
        plain += [f"?cursor={cursor}&limit=1", "?limit=%32"]  # %32 is "2"
        answered.clear()
        pages = [same_answer(clients, path + query) for query in plain]
        assert len(answered) == len(plain), path
        assert all(page.status_code == 200 for page in pages)
        assert "link" in pages[1].headers and pages[1].json()["items"]  # a page with a next one
        # Both routes' metrics label: the route recorded in the scope as the router records it.
        metrics = clients[0].get("/metrics").text
        template = path.replace(str(putin), "{entity_id}")
        assert f'route="{template}",status="200"' in metrics


def test_everything_else_is_left_to_the_routes_which_answer_as_before(
    database: tuple[str, dict[str, int]],
    clients: tuple[TestClient, TestClient],
    answered: list[str],
) -> None:
    names = database[1]
    putin, lukashenko = names["Vladimir Putin"], names["Alexander Lukashenko"]
    cursor = first_cursor(clients, "/v1/events")
    odd = ["?limit=02", "?limit=+2", "?limit=2.0", "?limit=0", "?limit=101", "?limit=-1"]
    odd += ["?limit=", "?limit=2&limit=3", "?limit=2&x=1", "?cursor=", "?cursor=nonsense"]
    odd += [f"?cursor={'c' * 513}", f"?cursor={cursor}&cursor={cursor}", "?q=", "?type=meeting"]
    odd += [f"?cursor={cursor[:-2]}"]
    paths = ["/v1/events", f"/v1/entities/{putin}/timeline"]
    answered.clear()
    for path in paths:
        for query in odd:
            same_answer(clients, path + query)
    # another entity's cursor, a merged entity (308), missing ids, ids FastAPI converts
    others = [f"/v1/entities/{putin}/timeline?cursor={cursor}"]
    others += [f"/v1/entities/{lukashenko}/timeline", f"/v1/entities/{MAX_ID}/timeline"]
    others += [f"/v1/entities/{MAX_ID + 1}/timeline", "/v1/entities/0/timeline"]
    others += [f"/v1/entities/0{putin}/timeline", "/v1/events/", f"/v1/entities/{putin}/timeline/"]
    for url in others:
        same_answer(clients, url)
    for header in ("Bearer wrong", "Basic eDp5"):  # a key sent is checked by the route
        assert same_answer(clients, "/v1/events", {"Authorization": header}).status_code == 401
    assert answered == []


def test_reads_that_need_a_key_are_left_to_the_routes(
    database: tuple[str, dict[str, int]], answered: list[str]
) -> None:
    url, _ = database
    with TestClient(app_of(url, api_keys="k" * 32, require_key_for_reads=True)) as client:
        assert client.get("/v1/events").status_code == 401
        bearer = {"Authorization": f"Bearer {'k' * 32}"}
        assert client.get("/v1/events", headers=bearer).status_code == 200
    assert answered == []


def test_a_page_the_session_must_answer_is_read_once(
    database: tuple[str, dict[str, int]],
    clients: tuple[TestClient, TestClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The middleware's read found nothing it can answer: the route goes to its session at
    once, without reading again (a failing read would otherwise cost its deadline twice)."""
    names = database[1]
    reads: list[str] = []
    for name in ("read_events", "read_timeline"):
        original = getattr(AnswerReader, name)

        async def counted(self: AnswerReader, *args: Any, _o: Any = original, **kw: Any) -> Any:
            reads.append(_o.__name__)
            return await _o(self, *args, **kw)

        monkeypatch.setattr(AnswerReader, name, counted)
    urls = [f"/v1/entities/{names['Alexander Lukashenko']}/timeline"]  # merged: 308
    urls += [f"/v1/entities/{MAX_ID}/timeline", "/v1/events?cursor=nonsense"]  # 404, 400
    for url in urls:
        reads.clear()
        assert clients[0].get(url, follow_redirects=False).status_code in (308, 404, 400)
        assert len(reads) == 1, url


def test_its_rules_are_the_routes_documented_ones(clients: tuple[TestClient, TestClient]) -> None:
    """What the middleware takes as a plain page is what both routes document: a limit's
    default and range, a cursor's length."""
    document = clients[0].get("/openapi.json").json()
    for path in ("/v1/events", "/v1/entities/{entity_id}/timeline"):
        parameters = {p["name"]: p["schema"] for p in document["paths"][path]["get"]["parameters"]}
        limit, cursor = parameters["limit"], parameters["cursor"]
        assert (limit["default"], limit["minimum"], limit["maximum"]) == (
            stored.DEFAULT_LIMIT,
            1,
            MAX_LIMIT,
        ), path
        lengths = [option.get("maxLength") for option in cursor["anyOf"]]
        assert MAX_CURSOR_LENGTH in lengths, path


def test_traced_requests_are_left_to_the_router_which_names_their_span() -> None:
    """FastAPI's telemetry puts its request state in the scope when OpenTelemetry is
    configured, and its router names the span after the route."""
    reached: list[str] = []

    async def router(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])

    middleware = StoredLists(router, settings=Settings())
    scope = {"type": "http", "method": "GET", "path": "/v1/events", "headers": []}
    asyncio.run(middleware({**scope, "fastapi.telemetry": object()}, None, None))  # type: ignore[arg-type]
    assert reached == ["/v1/events"]

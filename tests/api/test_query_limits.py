"""What an anonymous URL can ask of the database: capped repeatable parameters, a statement
budget for reads (422 when spent, not a 503 outage), and a turn per costly request."""

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from starlette.types import Receive, Scope, Send

from app.api.deps import SessionDep
from app.api.middleware.admission import Admission
from app.api.params import MAX_ENTITY_FILTERS
from app.db.models import Entity
from app.main import create_app
from app.settings import Settings
from tests.conftest import API_KEY
from tests.databases import backend

FILTERED_LISTS = ["/v1/articles", "/v1/events", "/v1/entities/{entity}/articles"]
# Long without a budget: a recursive count on SQLite, a sleep on PostgreSQL.
SLOW = (
    "SELECT pg_sleep(20)"
    if backend() == "postgresql"
    else "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) "
    "SELECT count(*) FROM c"
)
QUICK = "SELECT 1"


def entity_query(count: int) -> str:
    return "&".join(f"entity={i}" for i in range(1, count + 1))


@pytest.fixture
def entity_id(session: Session) -> int:
    entity = Entity(type="person", name="Ada Example", normalized_name="ada example")
    session.add(entity)
    session.flush()
    return entity.id


@pytest.mark.parametrize("path", FILTERED_LISTS)
def test_more_entity_filters_than_the_cap_is_a_422(
    client: TestClient, entity_id: int, path: str
) -> None:
    path = path.format(entity=entity_id)
    response = client.get(f"{path}?{entity_query(MAX_ENTITY_FILTERS + 1)}")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["loc"] == ["query", "entity"]


@pytest.mark.parametrize("path", FILTERED_LISTS)
def test_four_hundred_entity_filters_are_refused_not_run(
    client: TestClient, entity_id: int, path: str
) -> None:
    path = path.format(entity=entity_id)
    assert client.get(f"{path}?{entity_query(400)}").status_code == 422


@pytest.mark.parametrize("path", FILTERED_LISTS)
def test_the_cap_itself_is_answered(client: TestClient, entity_id: int, path: str) -> None:
    path = path.format(entity=entity_id)
    response = client.get(f"{path}?{entity_query(MAX_ENTITY_FILTERS)}")
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


def test_the_cap_is_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/v1/articles", "/v1/events", "/v1/entities/{entity_id}/articles"):
        (entity,) = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "entity"]
        assert entity["schema"]["maxItems"] == MAX_ENTITY_FILTERS
        assert f"at most {MAX_ENTITY_FILTERS}" in entity["description"]


@pytest.fixture
def budgeted(engine: Engine, database_url: str) -> Iterator[TestClient]:
    """The real app (real sessions) with a small read budget, plus a route that runs
    ``statement`` on the request's session."""
    settings = Settings(
        database_url=database_url,
        api_keys=API_KEY,
        read_cache_size=0,
        db_read_timeout_ms=300,
        db_statement_timeout_ms=60_000,
    )
    app = create_app(settings)

    @app.get("/v1/probe/{which}")
    def probe_read(which: str, session: SessionDep) -> dict[str, int]:
        return {"value": int(session.execute(text(SLOW if which == "slow" else QUICK)).one()[0])}

    @app.post("/v1/probe")
    def probe_write(session: SessionDep) -> dict[str, int]:
        return {"value": int(session.execute(text(QUICK)).one()[0])}

    with TestClient(app, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        yield client


def test_a_read_past_its_budget_is_a_422_query_too_expensive(budgeted: TestClient) -> None:
    response = budgeted.get("/v1/probe/slow")
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/query-too-expensive")
    assert "retry-after" not in response.headers  # not an outage: the same query costs as much
    # The connection is fine afterwards: the next read on the pool answers.
    assert budgeted.get("/v1/probe/quick").json() == {"value": 1}
    assert budgeted.get("/readyz").status_code == 200


def test_writes_keep_the_statement_budget(budgeted: TestClient) -> None:
    assert budgeted.post("/v1/probe").json() == {"value": 1}


# Admission: a fake app that holds every request until released.


class Held:
    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.running = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.running += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def test_lists_past_their_turns_answer_503_busy_and_pages_by_id_pass() -> None:
    asyncio.run(_lists_past_their_turns())


async def _lists_past_their_turns() -> None:
    held = Held()
    admission = Admission(held, limits={"lists": 2, "exports": 1}, wait=0.05)
    transport = httpx.ASGITransport(app=admission)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        running = [asyncio.create_task(http.get("/v1/articles?q=x")) for _ in range(2)]
        while held.running < 2:
            await asyncio.sleep(0.01)
        busy = await http.get("/v1/events")
        assert busy.status_code == 503
        assert busy.headers["content-type"] == "application/problem+json"
        assert int(busy.headers["retry-after"]) > 0
        assert busy.json()["type"].endswith("/busy")
        page = asyncio.create_task(http.get("/v1/articles/7"))  # a page by id takes no turn
        health = asyncio.create_task(http.get("/readyz"))
        while held.running < 4:
            await asyncio.sleep(0.01)
        held.release.set()
        assert [r.status_code for r in await asyncio.gather(*running, page, health)] == [200] * 4
        assert (await http.get("/v1/events")).status_code == 200  # turns were given back


def test_a_list_waits_for_a_turn_that_frees_in_time() -> None:
    asyncio.run(_a_list_waits())


async def _a_list_waits() -> None:
    held = Held()
    admission = Admission(held, limits={"lists": 1}, wait=30)
    transport = httpx.ASGITransport(app=admission)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        first = asyncio.create_task(http.get("/v1/entities"))
        while held.running < 1:
            await asyncio.sleep(0.01)
        second = asyncio.create_task(http.get("/v1/entities"))
        await asyncio.sleep(0.1)
        assert held.running == 1  # the second waits for its turn
        held.release.set()
        assert [r.status_code for r in await asyncio.gather(first, second)] == [200, 200]


def test_the_app_limits_lists() -> None:
    app = create_app(Settings(database_url="sqlite://", concurrent_lists=3))
    assert _admission_limits(app) == {"lists": 3, "exports": 2}


def _admission_limits(app: FastAPI) -> dict[str, int]:
    (admission,) = [m for m in app.user_middleware if m.cls is Admission]
    limits: dict[str, int] = admission.kwargs["limits"]
    return limits


def test_a_screening_takes_a_list_turn_and_other_posts_do_not() -> None:
    asyncio.run(_a_screening_takes_a_turn())


async def _a_screening_takes_a_turn() -> None:
    held = Held()
    admission = Admission(held, limits={"lists": 1}, wait=0.05)
    transport = httpx.ASGITransport(app=admission)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        running = asyncio.create_task(http.get("/v1/entities"))
        while held.running < 1:
            await asyncio.sleep(0.01)
        assert (await http.post("/v1/match", json={})).status_code == 503
        write = asyncio.create_task(http.post("/v1/articles", json={}))  # writes take no turn
        while held.running < 2:
            await asyncio.sleep(0.01)
        held.release.set()
        assert [r.status_code for r in await asyncio.gather(running, write)] == [200, 200]


def test_the_event_list_documents_each_filter_as_a_query_parameter(client: TestClient) -> None:
    """One model in the code (``EventListQuery``); to a client, nine optional query
    parameters, each with its own constraints and its own 422."""
    spec = client.get("/openapi.json").json()
    parameters = {p["name"]: p for p in spec["paths"]["/v1/events"]["get"]["parameters"]}
    assert set(parameters) == {
        *("type", "entity", "status", "date_from", "date_to"),
        *("location", "q", "limit", "cursor"),
    }
    assert all(p["in"] == "query" and not p.get("required") for p in parameters.values())
    assert parameters["limit"]["schema"]["maximum"] == 100
    assert parameters["entity"]["schema"]["type"] == "array"
    for query, name in (
        ("limit=0", "limit"),
        ("location=0", "location"),
        ("date_from=x", "date_from"),
    ):
        response = client.get(f"/v1/events?{query}")
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", name]

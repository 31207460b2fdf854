"""Routers passed over by their prefix: fewer routes tried, the same route chosen."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Match

from app.api.routers import events
from app.api.routers.prefixed import PrefixedRouter, route_path


def _scope(path: str, root_path: str = "", method: str = "GET") -> dict[str, object]:
    return {"type": "http", "path": path, "root_path": root_path, "method": method}


@contextmanager
def counting_route_matches(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The path of every route FastAPI asks whether it matches, in order."""
    tried: list[str] = []
    original = APIRoute.matches

    def matches(route: APIRoute, scope: dict[str, object]) -> tuple[Match, dict[str, object]]:
        tried.append(route.path)
        return original(route, scope)

    with monkeypatch.context() as patch:
        patch.setattr(APIRoute, "matches", matches)
        yield tried


def test_route_path_drops_the_root_path_as_starlette_does() -> None:
    assert route_path(_scope("/v1/events")) == "/v1/events"
    assert route_path(_scope("/api/v1/events", "/api")) == "/v1/events"
    assert route_path(_scope("/api", "/api")) == ""
    assert route_path(_scope("/apiv1/events", "/api")) == "/apiv1/events"
    assert route_path(_scope("/v1/events", "/api")) == "/v1/events"


def test_a_path_outside_the_prefix_matches_nothing_without_trying_a_route(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with counting_route_matches(monkeypatch) as tried:
        assert events.router.matches(_scope("/v1/entities/1")) == (Match.NONE, {})
    assert tried == []


def test_a_prefixed_router_needs_a_path_prefix() -> None:
    with pytest.raises(ValueError, match="path prefix"):
        PrefixedRouter(prefix="")


def test_the_events_list_tries_only_the_events_routes(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with counting_route_matches(monkeypatch) as tried:
        response = client.get("/v1/events")
    assert response.status_code == 200
    # The app's own pages (/docs, /redoc) come first; of the API, only the events routes.
    api_routes = [path for path in tried if path.startswith("/v1/")]
    assert api_routes
    assert all(path.startswith("/v1/events") for path in api_routes), api_routes


def test_every_route_starts_with_its_routers_prefix(app: FastAPI) -> None:
    """What makes passing a router over safe: none of its routes lies outside its prefix."""
    included = [getattr(route, "original_router", None) for route in app.router.routes]
    prefixed = [router for router in included if isinstance(router, PrefixedRouter)]
    assert len(prefixed) >= 10
    for router in prefixed:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            assert route.path.startswith(router.prefix)


def test_a_wrong_method_is_still_405_and_a_mounted_app_still_routes(client: TestClient) -> None:
    assert client.delete("/v1/events").status_code == 405
    mounted = TestClient(client.app, root_path="/api")
    assert mounted.get("/api/v1/events").status_code == 200
    assert mounted.get("/api/v1/nothing-here").status_code == 404

"""Routers passed over by their prefix: fewer routes tried, the same route chosen."""

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette._utils import get_route_path  # private: route_path must agree with it
from starlette.routing import Match

from app.api.middleware.routes import route_path
from app.api.routers.prefixed import PrefixedRouter

SCOPES = [
    ("/v1/events", ""),
    ("/api/v1/events", "/api"),
    ("/api", "/api"),
    ("/apiv1/events", "/api"),
    ("/v1/events", "/api"),
    ("/api/", "/api"),
]


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


def included_prefixed_routers(app: FastAPI) -> list[tuple[PrefixedRouter, str]]:
    """Each ``PrefixedRouter`` included in the app, with the prefix it was included under."""
    found = []
    for route in app.router.routes:
        router = getattr(route, "original_router", None)
        if isinstance(router, PrefixedRouter):
            found.append((router, route.include_context.prefix))  # type: ignore[attr-defined]
    return found


@pytest.mark.parametrize(("path", "root_path"), SCOPES)
def test_route_path_is_starlettes(path: str, root_path: str) -> None:
    scope = {"type": "http", "path": path, "root_path": root_path}
    assert route_path(scope) == get_route_path(scope)


def test_a_prefixed_router_needs_a_literal_path_prefix() -> None:
    for prefix in ("", "v1/x", "/v1/entities/{entity_id}/notes"):
        with pytest.raises(ValueError, match="literal path prefix"):
            PrefixedRouter(prefix=prefix)


@pytest.mark.parametrize(("path", "resource"), [("/v1/events", "events"), ("/v1/quotes", "quotes")])
def test_a_request_tries_only_its_own_routers_routes(
    path: str, resource: str, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Of the API's routes, only those of the path's router: the routers included before it
    (articles, jobs, entities... for both) are passed over. The app's own pages (/docs,
    /redoc) come first."""
    with counting_route_matches(monkeypatch) as tried:
        response = client.get(path)
    assert response.status_code == 200
    api_routes = [route for route in tried if route.startswith("/v1/")]
    assert api_routes
    assert {route.split("/")[2] for route in api_routes} == {resource}, api_routes


def test_every_router_is_included_as_is_and_holds_only_paths_under_its_prefix(
    app: FastAPI,
) -> None:
    """What makes passing a router over safe: none of its routes lies outside its prefix,
    and the app adds no prefix of its own where it includes it."""
    included = included_prefixed_routers(app)
    assert len(included) >= 10
    for router, include_prefix in included:
        assert include_prefix == ""
        for route in router.routes:
            assert isinstance(route, APIRoute)
            assert route.path.startswith(router.prefix)


def _requests(app: FastAPI) -> list[tuple[str, str]]:
    """Every documented path (parameters filled), with and without a trailing slash, and a
    near miss of each, asked with GET and DELETE."""
    paths = [re.sub(r"\{[^}]+\}", "1", path) for path in app.openapi()["paths"]]
    variants = {v for path in paths for v in (path, path + "/", path + "x", path + "/1")}
    return [(method, path) for path in sorted(variants) for method in ("GET", "DELETE")]


def _answers(client: TestClient, requests: list[tuple[str, str]]) -> list[tuple[object, ...]]:
    answers = []
    for method, path in requests:
        response = client.request(method, path, follow_redirects=False)
        answers.append(
            (
                method,
                path,
                response.status_code,
                response.headers.get("location"),
                response.headers.get("allow"),
                hashlib.sha256(response.content).hexdigest() if response.status_code != 200 else "",
            )
        )
    return answers


def test_every_request_routes_as_without_the_prefix_check(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Status, redirect, Allow and error bodies: the same with FastAPI's own matching."""
    requests = _requests(app)
    assert len(requests) > 200
    with_check = _answers(client, requests)
    with monkeypatch.context() as patch:
        patch.setattr(PrefixedRouter, "matches", APIRouter.matches)
        without_check = _answers(client, requests)
    assert with_check == without_check
    statuses = {answer[2] for answer in with_check}
    assert {307, 404, 405} <= statuses, statuses


def test_a_trailing_slash_still_redirects(client: TestClient) -> None:
    response = client.get("/v1/events/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith("/v1/events")


def test_a_wrong_method_is_still_405_and_a_mounted_app_still_routes(client: TestClient) -> None:
    assert client.delete("/v1/events").status_code == 405
    mounted = TestClient(client.app, root_path="/api")
    assert mounted.get("/api/v1/events").status_code == 200
    assert mounted.get("/api/v1/nothing-here").status_code == 404

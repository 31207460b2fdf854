"""Middleware that looks routes up itself reads the path as the routes do, behind a proxy's
``root_path`` too (Starlette keeps the root path in ``scope["path"]``)."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.middleware.context import route_template
from app.api.middleware.keygate import needs_write_key


def test_options_and_a_405_list_the_methods_behind_a_root_path(client: TestClient) -> None:
    mounted = TestClient(client.app, root_path="/api")
    options = mounted.options("/api/v1/articles")
    assert options.status_code == 204
    assert {"GET", "POST"} <= {m.strip() for m in options.headers["allow"].split(",")}
    refused = mounted.put("/api/v1/articles")
    assert refused.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in refused.headers["allow"].split(",")}


def test_a_write_route_is_known_behind_a_root_path(app: FastAPI) -> None:
    def scope(path: str, root_path: str, method: str) -> dict[str, object]:
        return {"app": app, "path": path, "root_path": root_path, "method": method}

    assert needs_write_key(scope("/v1/articles", "", "POST"))
    assert needs_write_key(scope("/api/v1/articles", "/api", "POST"))
    assert not needs_write_key(scope("/api/v1/articles", "/api", "GET"))


def test_an_answer_before_routing_is_counted_by_its_route_behind_a_root_path(
    app: FastAPI,
) -> None:
    scope = {"app": app, "path": "/api/v1/articles/7", "root_path": "/api"}
    assert route_template(scope) == "/v1/articles/{article_id}"

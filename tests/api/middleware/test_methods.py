"""HEAD on every GET route, OPTIONS with a complete Allow, and a complete Allow on every 405."""

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

DOCUMENTED = {"get", "post", "put", "patch", "delete"}


def documented_paths(app: FastAPI) -> dict[str, set[str]]:
    """Each path of the schema (parameters filled with 1) and the methods it documents."""
    paths: dict[str, Any] = app.openapi()["paths"]
    return {
        re.sub(r"\{[^}]+\}", "1", path): {m.upper() for m in item if m in DOCUMENTED}
        for path, item in paths.items()
    }


def expected_allow(methods: set[str]) -> set[str]:
    return methods | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())


def allow_of(response: Any) -> set[str]:
    return {m.strip() for m in response.headers["allow"].split(",")}


def test_head_answers_every_get_route_as_get_does_without_a_body(
    app: FastAPI, client: TestClient
) -> None:
    gets = [path for path, methods in documented_paths(app).items() if "GET" in methods]
    assert len(gets) > 10
    for path in gets:
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code != 405, path
        assert head.content == b"", path
        for name in ("content-type", "etag", "link"):
            assert head.headers.get(name) == got.headers.get(name), (path, name)


def test_options_answers_204_with_every_method_of_the_path(
    app: FastAPI, client: TestClient
) -> None:
    for path, methods in documented_paths(app).items():
        response = client.options(path)
        assert response.status_code == 204, path
        assert allow_of(response) == expected_allow(methods), path


def test_a_405_lists_every_method_of_the_path(app: FastAPI, client: TestClient) -> None:
    for path, methods in documented_paths(app).items():
        missing = sorted(DOCUMENTED - {m.lower() for m in methods})
        if not missing:
            continue
        response = client.request(missing[0].upper(), path)
        assert response.status_code == 405, path
        assert response.headers["content-type"] == "application/problem+json"
        assert allow_of(response) == expected_allow(methods), path


@pytest.mark.parametrize("path", ["/nowhere", "/v1/nowhere"])
def test_options_on_an_unknown_path_is_a_404(client: TestClient, path: str) -> None:
    assert client.options(path).status_code == 404

"""GET /: a small JSON index pointing to the docs, the schema, the probes and every collection."""

from fastapi.testclient import TestClient

from app import __version__


def test_root_answers_an_index_instead_of_404(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    index = response.json()
    assert index["name"] == "NewsKB"
    assert index["version"] == __version__
    assert index["links"]["docs"] == "/docs"
    assert index["links"]["openapi"] == "/openapi.json"


def test_every_link_of_the_index_is_served(client: TestClient) -> None:
    index = client.get("/").json()
    assert set(index["links"]) == {"docs", "redoc", "openapi", "health", "ready", "metrics"}
    for url in index["links"].values():
        assert client.get(url).status_code == 200, url


def test_the_index_lists_every_v1_collection_of_the_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    collections = {path.split("/")[2] for path in paths if path.startswith("/v1/")}
    resources = client.get("/").json()["resources"]
    assert set(resources) == collections
    assert {"articles", "entities", "events", "quotes", "search"} <= collections
    for name, url in resources.items():
        assert url == f"/v1/{name}"
        assert client.get(url).status_code != 404, url  # some need parameters (422), none is absent


def test_the_index_is_in_the_openapi_schema(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiIndex"
    }

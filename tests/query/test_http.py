"""HTTP conventions of the query API: ETag/304, gzip, CORS, OpenAPI documentation."""

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.query.conftest import Corpus


@pytest.mark.parametrize("kind", ["articles", "entities", "events"])
def test_single_resources_answer_304_to_their_etag(api: TestClient, kind: str) -> None:
    first_id = api.get(f"/v1/{kind}", params={"limit": 1}).json()["items"][0]["id"]
    response = api.get(f"/v1/{kind}/{first_id}")
    etag = response.headers["etag"]
    again = api.get(f"/v1/{kind}/{first_id}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    other = api.get(f"/v1/{kind}/{first_id}", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200


def test_etag_changes_when_the_entity_changes(api: TestClient) -> None:
    entity = api.get("/v1/entities", params={"limit": 1}).json()["items"][0]
    before = api.get(f"/v1/entities/{entity['id']}").headers["etag"]
    api.patch(f"/v1/entities/{entity['id']}", json={"description": "changed"})
    after = api.get(f"/v1/entities/{entity['id']}", headers={"If-None-Match": before})
    assert after.status_code == 200
    assert after.headers["etag"] != before


def test_large_answers_are_gzipped(api: TestClient, corpus: Corpus) -> None:
    response = api.get(f"/v1/articles/{corpus.seed_id}", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["id"] == corpus.seed_id


def test_small_answers_are_not_gzipped(api: TestClient) -> None:
    response = api.get("/v1/entities/2000000000", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers


def test_cors_is_off_by_default(api: TestClient) -> None:
    response = api.get("/v1/articles", headers={"Origin": "https://example.org"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_configured_origins(corpus: Corpus) -> None:
    settings = Settings(database_url=corpus.url, cors_origins="https://example.org")
    with TestClient(create_app(settings)) as client:
        preflight = client.options(
            "/v1/articles",
            headers={
                "Origin": "https://example.org",
                "Access-Control-Request-Method": "GET",
            },
        )
        assert preflight.headers["access-control-allow-origin"] == "https://example.org"
        denied = client.get("/v1/entities", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in denied.headers


def test_every_operation_has_a_tag_and_summary(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("tags"), (method, path)
            assert operation.get("summary"), (method, path)


def test_query_api_schemas_have_examples(api: TestClient) -> None:
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    for name in ("ArticleHit", "SearchResult", "EntityRead", "EventDetail", "ChangeRead"):
        props = schemas[name]["properties"]
        documented = [p for p in props.values() if "examples" in p or "$ref" in p or "items" in p]
        assert len(documented) >= len(props) // 2, name

"""Every operation whose body is JSON only answers 415 to another media type (as documented)."""

import json
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.kb import ingest as kb_ingest
from tests.factories import meeting_article


@pytest.fixture
def entity_id(session: Session, client: TestClient) -> int:
    kb_ingest.ingest_article(session, meeting_article())
    entity: int = client.get("/v1/entities").json()["items"][0]["id"]
    return entity


def json_only_operations(app: FastAPI) -> list[tuple[str, str]]:
    operations = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            content: dict[str, Any] = operation.get("requestBody", {}).get("content", {})
            if set(content) == {"application/json"}:
                assert "415" in operation["responses"], (method, path)
                operations.append((method.upper(), path))
    return operations


@pytest.mark.parametrize("media_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_json_only_body_of_another_media_type_is_a_415(
    app: FastAPI, client: TestClient, entity_id: int, media_type: str
) -> None:
    operations = json_only_operations(app)
    assert {path for _, path in operations} >= {
        "/v1/entities/{entity_id}",
        "/v1/entities/{entity_id}/merge",
    }
    for method, template in operations:
        path = re.sub(r"\{[^}]+\}", str(entity_id), template)
        body = json.dumps({"into": entity_id, "name": "Renamed"})
        response = client.request(method, path, content=body, headers={"content-type": media_type})
        assert response.status_code == 415, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        as_json = client.request(
            method, path, content="{}", headers={"content-type": "application/json"}
        )
        assert as_json.status_code != 415, (method, path)
